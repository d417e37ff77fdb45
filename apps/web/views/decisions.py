"""The decision log: every answer given to an agent, filtered, newest first, paged by
keyset in both directions (fast at any depth); and one decision with all it recorded."""

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from apps.agents.models import Agent
from apps.catalogs.models import Action
from apps.checks.models import Decision
from apps.checks.selectors import decisions_list
from apps.organizations.constants import Capability
from apps.web.forms_agents import DecisionFilterForm, parse_utc
from apps.web.simulator import DECISION_MEANINGS
from apps.web.views.base import OrganizationPageView

PAGE = 50


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    """`<ISO time>|<id>`, naive meaning UTC; anything malformed is no cursor at all."""
    when, _, row_id = value.partition("|")
    moment = parse_utc(when) if when else None
    if moment is None or not row_id.isdigit():
        return None
    return moment, int(row_id)


def cursor_of(decision: Decision) -> str:
    return f"{decision.evaluated_at.isoformat()}|{decision.pk}"


def newer_than(rows: QuerySet[Decision], cursor: tuple[datetime, int]) -> QuerySet[Decision]:
    """The rows above the cursor in the log's order, nearest first: the mirror of the
    selector's `before`, read backwards along the same indexes."""
    moment, row_id = cursor
    return (
        rows.filter(evaluated_at__gte=moment)
        .filter(Q(evaluated_at__gt=moment) | Q(id__gt=row_id))
        .order_by("evaluated_at", "id")
    )


class DecisionLogView(OrganizationPageView):
    template_name = "web/decisions.html"
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    section = "decisions"
    queryset = Decision.objects.all()

    def filter_form(self) -> DecisionFilterForm:
        agents = Agent.objects.filter(organization=self.organization).order_by("name", "key")
        actions = Action.objects.filter(organization=self.organization).order_by("key")
        return DecisionFilterForm(
            self.request.GET,
            agents=[(a.key, a.name) for a in agents],
            actions=list(actions.values_list("key", flat=True)),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.filter_form()
        filters = form.filters()
        rows = decisions_list(organization=self.organization, **filters)
        params = self.request.GET
        before = parse_cursor(params.get("before", ""))
        after = None if before else parse_cursor(params.get("after", ""))
        if after:
            page = list(newer_than(rows, after).prefetch_related("outcome")[: PAGE + 1])
            has_newer = len(page) > PAGE
            page = page[:PAGE][::-1]
            has_older = (
                bool(page)
                and decisions_list(
                    organization=self.organization,
                    before=(page[-1].evaluated_at, page[-1].pk),
                    **filters,
                ).exists()
            )
        else:
            listed = decisions_list(organization=self.organization, before=before, **filters)
            # The outcome each agent reported, if any: one query for the page.
            page = list(listed.prefetch_related("outcome")[: PAGE + 1])
            has_older = len(page) > PAGE
            page = page[:PAGE]
            has_newer = (
                before is not None
                and bool(page)
                and newer_than(rows, (page[0].evaluated_at, page[0].pk)).exists()
            )
        query = {k: v for k, v in params.items() if k in form.fields and v.strip()}
        if self.has_capability(Capability.VIEW_AUDIT):  # what the export API requires
            context.update(exports=export_urls(self.organization.slug, filters))
        context.update(
            form=form,
            decisions=page,
            filtered=bool(query),
            reason_query=urlencode({k: v for k, v in query.items() if k != "reason"}),
            older_url="?" + urlencode({**query, "before": cursor_of(page[-1])})
            if has_older
            else "",
            newer_url="?" + urlencode({**query, "after": cursor_of(page[0])}) if has_newer else "",
            newest_url="?" + urlencode(query) if has_newer else "",
        )
        return context


def export_urls(slug: str, filters: dict[str, Any]) -> dict[str, str]:
    """The decision export's CSV and JSON addresses with the log's valid filters, times in
    RFC 3339 as the API reads them."""
    query = urlencode(
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items()}
    )
    return {
        fmt: reverse(f"api:export-decisions-{fmt}", args=[slug]) + (f"?{query}" if query else "")
        for fmt in ("csv", "json")
    }


def request_rows(request: dict[str, Any], masked: list[str]) -> list[dict[str, Any]]:
    """The recorded request as (path, value) rows, nested fields flattened to dotted paths
    (the form masked_paths uses), so that a masked value reads as masked, not as a value."""
    rows: list[dict[str, Any]] = []
    hidden = set(masked)

    def walk(value: Any, path: str) -> None:
        if path in hidden:
            rows.append({"path": path, "masked": True})
        elif isinstance(value, dict) and value:
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for i, item in enumerate(value):
                walk(item, f"{path}.{i}")
        else:
            rows.append({"path": path, "value": display(value), "masked": False})

    walk(request, "")
    return rows


def display(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "[]"
    return json.dumps(value, ensure_ascii=False)


class DecisionDetailView(OrganizationPageView):
    template_name = "web/decision_detail.html"
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    section = "decisions"
    queryset = Decision.objects.select_related("agent", "policy_version__policy")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        decision = self.get_queryset().filter(decision_id=self.kwargs["decision_id"]).first()
        if decision is None:
            raise Http404("No such decision.")
        context.update(
            decision=decision,
            meaning=DECISION_MEANINGS.get(decision.decision, ""),
            reasons=decision.reasons,
            obligations=[(k, display(v)) for k, v in (decision.obligations or {}).items()],
            request_rows=request_rows(decision.request or {}, decision.masked_paths or []),
            request_json=json.dumps(decision.request, indent=2, ensure_ascii=False),
            evaluation_ms=decision.evaluation_us / 1000,
            # Each is there only when the decision led to it, or the agent reported back.
            approval=getattr(decision, "approval", None),
            handoff=getattr(decision, "handoff", None),
            outcome=getattr(decision, "outcome", None),
        )
        return context
