"""The decision log: every answer given to an agent, filtered, newest first, paged by
keyset (fast at any depth)."""

from typing import Any

from django.utils.dateparse import parse_datetime

from apps.checks.models import Decision
from apps.checks.selectors import decisions_list
from apps.engine.types import DECISIONS
from apps.organizations.constants import Capability
from apps.web.views.base import OrganizationPageView

PAGE = 50


class DecisionLogView(OrganizationPageView):
    template_name = "web/decisions.html"
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    section = "decisions"
    queryset = Decision.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        filters = {
            name: params.get(name, "").strip()[:200]
            for name in ("agent", "action", "decision", "reason")
        }
        if filters["decision"] not in ("", *DECISIONS):
            filters["decision"] = ""
        when, _, row_id = params.get("before", "").partition("|")
        moment = parse_datetime(when) if when else None
        before = (moment, int(row_id)) if moment is not None and row_id.isdigit() else None
        rows = decisions_list(organization=self.organization, before=before, **filters)
        # The outcome each agent reported, if any: one query for the page.
        page = list(rows.prefetch_related("outcome")[: PAGE + 1])
        more = len(page) > PAGE
        page = page[:PAGE]
        context.update(
            decisions=page,
            filters=filters,
            decision_choices=DECISIONS,
            next_cursor=f"{page[-1].evaluated_at.isoformat()}|{page[-1].pk}"
            if more and page
            else "",
        )
        return context
