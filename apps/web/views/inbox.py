"""The inbox people work: approvals of agents' drafts and the conversations agents hand
off, each with the context the agent packaged. Who may decide is the services' question;
these pages show what they answer."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.catalogs.selectors import actions_list, signals_list
from apps.core.errors import Conflict, PermissionRefused, ValidationFailed
from apps.humans import services
from apps.humans.constants import (
    HANDOFF_ACTIVE,
    REPORT_WINDOWS,
    ApprovalStatus,
    HandoffStatus,
    Verdict,
    report_window,
)
from apps.humans.models import Approval, Handoff
from apps.humans.selectors import approvals_list, handoffs_list, human_loop_summary
from apps.humans.sla import handoff_sla
from apps.organizations.constants import Capability, Role
from apps.web.draft_diff import draft_changes
from apps.web.forms_inbox import (
    CommentForm,
    DraftEditForm,
    HandoffHandBackForm,
    HandoffResolveForm,
    draft_keys,
    field_label,
)
from apps.web.views.base import OrganizationPageView, apply_error

ROWS = 100  # per section of the inbox; the oldest due come first
ACTIVE = "active"  # handoffs still waiting or being worked
APPROVAL_FILTERS = [(s.value, s.label) for s in ApprovalStatus] + [("", "Any status")]
HANDOFF_FILTERS = [(ACTIVE, "Open or being worked")] + [(s.value, s.label) for s in HandoffStatus]
HANDOFF_FILTERS.append(("", "Any status"))
# The home page calls an inbox unworked when a draft has waited this long.
STALE_AFTER = timedelta(hours=4)
# Context keys the pages lay out themselves; anything else is listed under "More context".
PACKAGE_KEYS = ("summary", "intent_tags", "thread", "qualification", "needs_next", "deal")


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def facts(value: Any, prefix: str = "") -> list[Fact]:
    """A JSON value as label/value lines; nested objects read "deal · stage"."""
    if isinstance(value, dict):
        rows: list[Fact] = []
        for key, item in value.items():
            label = f"{prefix} · {field_label(str(key))}" if prefix else field_label(str(key))
            rows.extend(facts(item, label))
        return rows
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return [Fact(prefix, ", ".join(_scalar(item) for item in value))]
        return [
            row
            for i, item in enumerate(value, 1)
            for row in facts(item, f"{prefix} {i}" if prefix else f"Item {i}")
        ]
    return [Fact(prefix, _scalar(value))]


def _scalar(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, int | float) and abs(value) >= 10_000:
        return f"{value:,}"  # amounts read faster grouped; years and counts stay as they are
    return "—" if value is None or value == "" else str(value)


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_scalar(v) for v in value if not isinstance(v, dict | list)]
    return [_scalar(value)] if value not in (None, "", {}) and not isinstance(value, dict) else []


def context_package(context: dict[str, Any], agent_names: tuple[str, ...]) -> dict[str, Any]:
    """The agent's context package laid out for reading: summary, intent, the facts the
    person needs before speaking, and the conversation so far."""
    thread = []
    for message in context.get("thread") or []:
        if not isinstance(message, dict):
            message = {"text": message}
        sender = _scalar(message.get("from") or message.get("role") or "")
        at = message.get("at")
        thread.append(
            {
                "sender": sender,
                "at": parse_datetime(at) if isinstance(at, str) else None,
                "at_text": at if isinstance(at, str) else "",
                "text": _scalar(message.get("text") or message.get("body") or ""),
                "by_agent": sender.lower() in agent_names or sender.lower().startswith("agent"),
            }
        )
    qualification = context.get("qualification")
    deal = context.get("deal")
    return {
        "summary": _scalar(context.get("summary")) if context.get("summary") else "",
        "intent_tags": _lines(context.get("intent_tags")),
        "qualification": facts(qualification) if isinstance(qualification, dict | list) else [],
        "qualification_text": _lines(qualification) if isinstance(qualification, str) else [],
        "needs_next": _lines(context.get("needs_next")),
        "deal": facts(deal) if isinstance(deal, dict) else [],
        "deal_text": _scalar(deal) if deal and not isinstance(deal, dict | list) else "",
        "extra": facts({k: v for k, v in context.items() if k not in PACKAGE_KEYS}),
        "thread": thread,
    }


def request_facts(request: dict[str, Any]) -> list[Fact]:
    """What the agent asked the policy: confidence, signals and the context it gave."""
    rows = []
    if request.get("confidence") is not None:
        rows.append(Fact("Confidence", _scalar(request["confidence"])))
    if request.get("signals"):
        rows.extend(facts(request["signals"], "Signals"))
    if isinstance(request.get("context"), dict):
        rows.extend(facts(request["context"]))
    if isinstance(request.get("subject"), dict):
        rows.extend(facts(request["subject"], "Subject"))
    return rows


def human_loop_card(*, organization) -> dict[str, Any]:
    """The home page's view of the human loop, and whether it looks unworked."""
    summary = human_loop_summary(organization=organization)
    now = timezone.now()
    oldest = summary["oldest_pending_since"]
    waited = now - oldest if oldest else None
    stale = waited is not None and waited >= STALE_AFTER
    if stale or summary["handoffs_overdue"]:
        level = "alarm"
    else:
        level = "warn" if summary["approvals_due_soon"] else "calm"
    return {**summary, "oldest_waited": waited, "stale": stale, "level": level}


def _is_owner(view: OrganizationPageView) -> bool:
    return Role.OWNER in view.membership.roles


class InboxView(OrganizationPageView):
    """Approvals and handoffs routed to my teams first; everything else on request."""

    template_name = "web/inbox/inbox.html"
    permission_map = {"GET": Capability.WORK_INBOX}
    section = "inbox"

    def _list(self, tab: str, status: str, mine: bool):
        common = {"organization": self.organization, "user": self.request.user, "mine": mine}
        if tab == "approvals":
            return approvals_list(status=status, **common)
        if status == ACTIVE:
            return handoffs_list(**common).filter(status__in=HANDOFF_ACTIVE)
        return handoffs_list(status=status, **common)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        tab = "handoffs" if params.get("tab") == "handoffs" else "approvals"
        filters = APPROVAL_FILTERS if tab == "approvals" else HANDOFF_FILTERS
        default = ApprovalStatus.PENDING.value if tab == "approvals" else ACTIVE
        status = params.get("status", default)
        if status not in {value for value, _ in filters}:
            status = default
        owner = _is_owner(self)
        scope = "all" if params.get("scope") == "all" and not owner else "mine"
        mine = self._list(tab, status, mine=True)
        sections = [{"key": "mine", "rows": _glance(mine[:ROWS]), "total": mine.count()}]
        if scope == "all":
            others = self._list(tab, status, mine=False).exclude(pk__in=mine.values("pk"))
            sections.append(
                {"key": "others", "rows": _glance(others[:ROWS]), "total": others.count()}
            )
        actions = _action_labels(self.organization)
        if tab == "handoffs":
            signals = _signal_labels(self.organization)
            for section in sections:
                for row in section["rows"]:
                    row.title = handoff_title(row, signals, actions)
        context.update(
            tab=tab,
            status=status,
            status_filters=filters,
            scope=scope,
            is_owner=owner,
            sections=sections,
            action_labels=actions,
        )
        return context


def _glance(rows) -> list:
    """Rows with what tells them apart at a glance: the draft's subject (or the agent's
    summary) and the first intent tags."""
    rows = list(rows)
    for row in rows:
        context = row.context if isinstance(row.context, dict) else {}
        draft = getattr(row, "draft", None)
        draft = draft if isinstance(draft, dict) else {}
        topic = draft.get("subject") or draft.get("title") or context.get("summary") or ""
        row.topic = topic if isinstance(topic, str) else ""
        summary = context.get("summary")
        row.summary = summary if isinstance(summary, str) else ""
        row.tags = _lines(context.get("intent_tags"))[:4]
    return rows


def _action_labels(organization) -> dict[str, str]:
    return dict(actions_list(organization=organization).values_list("key", "label"))


def _signal_labels(organization) -> dict[str, str]:
    """Reason codes of handoffs as people say them: trigger.pricing_question → its label."""
    return {
        f"trigger.{key}": label
        for key, label in signals_list(organization=organization).values_list("key", "label")
    }


def handoff_title(handoff: Handoff, signals: dict[str, str], actions: dict[str, str]) -> str:
    """What brought a person in, as they would say it: the trigger that fired ("Pricing
    question"), or the action that is always a person's ("Quote a price")."""
    if handoff.reason in signals:
        return signals[handoff.reason]
    if handoff.reason.startswith("trigger."):
        return field_label(handoff.reason.removeprefix("trigger."))
    return actions.get(handoff.action) or field_label(handoff.action)


class ApprovalView(OrganizationPageView):
    """One draft beside its context: approve it, edit then approve it, or reject it."""

    template_name = "web/inbox/approval.html"
    permission_map = {"GET": Capability.WORK_INBOX, "POST": Capability.WORK_INBOX}
    section = "inbox"
    queryset = Approval.objects.select_related("agent", "team", "decision", "decided_by")

    def get_approval(self) -> Approval:
        approval = self.get_queryset().filter(public_id=self.kwargs["approval_id"]).first()
        if approval is None:
            raise Http404("No such approval.")
        return approval

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        approval = kwargs.get("approval") or self.get_approval()
        agent = approval.agent
        draft = approval.draft if isinstance(approval.draft, dict) else {}
        final = approval.final_draft if isinstance(approval.final_draft, dict) else None
        edit_form = kwargs.get("edit_form") or DraftEditForm(draft=draft)
        context.update(
            approval=approval,
            pending=approval.status == ApprovalStatus.PENDING,
            may_decide=services.may_decide(
                user=self.request.user, organization=self.organization, team=approval.team
            ),
            action_label=_action_labels(self.organization).get(approval.action, approval.action),
            reasons=approval.decision.reasons,
            asked=request_facts(approval.decision.request),
            draft_kind=draft.get("kind", ""),
            draft_rows=_draft_rows(draft),
            final_rows=_draft_rows(final) if final else [],
            changes=draft_changes(draft, final) if final else [],
            package=context_package(
                approval.context if isinstance(approval.context, dict) else {},
                (agent.key.lower(), agent.name.lower()),
            ),
            edit_form=edit_form,
            kept_as_sent=[
                field_label(k)
                for k in draft_keys(draft)
                if k != "kind" and k not in edit_form.fields
            ],
            note_form=kwargs.get("note_form") or _note_form(),
            reject_form=kwargs.get("reject_form") or _reject_form(),
            open_panel=kwargs.get("open_panel", ""),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        approval = self.get_approval()
        verdict = request.POST.get("verdict", "")
        draft = approval.draft if isinstance(approval.draft, dict) else {}
        edit_form = DraftEditForm(request.POST, draft=draft) if verdict == Verdict.EDIT else None
        note_form = _note_form(request.POST) if verdict == Verdict.EDIT else None
        reject_form = _reject_form(request.POST) if verdict == Verdict.REJECT else None
        forms = {"edit_form": edit_form, "note_form": note_form, "reject_form": reject_form}
        # Every bound form is validated, so that each shows its errors at once.
        valid = [form.is_valid() for form in forms.values() if form is not None]
        if not all(valid):
            return self._invalid(approval, verdict, forms)
        comment = ""
        final_draft = None
        if edit_form is not None and note_form is not None:
            final_draft = edit_form.final_draft()
            comment = note_form.cleaned_data["comment"]
        if reject_form is not None:
            comment = reject_form.cleaned_data["comment"]
        try:
            decided = services.approval_decide(
                approval=approval,
                by=request.user,
                verdict=verdict,
                comment=comment,
                final_draft=final_draft,
            )
        except ValidationFailed as exc:
            target = edit_form or reject_form
            if target is None:
                messages.error(request, exc.message)
                return self._back(approval)
            apply_error(target, exc)
            return self._invalid(approval, verdict, forms)
        except (PermissionRefused, Conflict) as exc:
            self.record_service_refusal(exc)
            messages.error(request, f"{exc.message} Nothing was recorded.")
            return self._back(approval)
        messages.success(
            request,
            {
                ApprovalStatus.APPROVED: "Approved: the agent may send it as written.",
                ApprovalStatus.EDITED: "Approved with your changes: the agent sends your version.",
                ApprovalStatus.REJECTED: "Rejected: the agent must not act; it reads your comment.",
            }.get(decided.status, "Recorded."),
        )
        return self._back(approval)

    def _invalid(self, approval: Approval, verdict: str, forms: dict[str, Any]) -> HttpResponse:
        given = {name: form for name, form in forms.items() if form is not None}
        return self.render_to_response(
            self.get_context_data(approval=approval, open_panel=verdict, **given), status=400
        )

    def _back(self, approval: Approval) -> HttpResponse:
        return redirect(
            "web:inbox-approval", org=self.organization.slug, approval_id=approval.public_id
        )


def _note_form(data=None) -> CommentForm:
    return CommentForm(data, prefix="edit", required=False, label="Why you changed it (optional)")


def _reject_form(data=None) -> CommentForm:
    return CommentForm(data, prefix="reject", required=True, label="Why it is rejected")


def _draft_rows(draft: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The draft's fields for reading, with the body set apart from the header lines."""
    if not draft:
        return []
    rows = []
    for key in draft_keys(draft):
        if key == "kind":
            continue
        value = draft[key]
        text = value if isinstance(value, str) else ", ".join(f.value for f in facts(value))
        rows.append({"key": key, "label": field_label(key), "text": text, "long": "\n" in text})
    return rows


class HandoffSlaView(OrganizationPageView):
    """How each team keeps the response times the policy promises: time to claim and to close,
    breaches over a window, and what is waiting now."""

    template_name = "web/inbox/sla.html"
    permission_map = {"GET": Capability.WORK_INBOX}
    section = "inbox"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        days = report_window(days=self.request.GET.get("days"))
        context.update(
            tab="sla",
            renotify_minutes=settings.MANDATE_HANDOFF_RENOTIFY_MINUTES,
            windows=REPORT_WINDOWS,
            sla=handoff_sla(organization=self.organization, days=days),
        )
        return context


class HandoffView(OrganizationPageView):
    """One handed-off conversation, laid out to be absorbed in seconds: claim it, resolve
    it, or hand the next step back to the agent."""

    template_name = "web/inbox/handoff.html"
    permission_map = {"GET": Capability.WORK_INBOX, "POST": Capability.WORK_INBOX}
    section = "inbox"
    queryset = Handoff.objects.select_related("agent", "team", "decision", "assignee", "closed_by")

    def get_handoff(self) -> Handoff:
        handoff = self.get_queryset().filter(public_id=self.kwargs["handoff_id"]).first()
        if handoff is None:
            raise Http404("No such handoff.")
        return handoff

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        handoff = kwargs.get("handoff") or self.get_handoff()
        agent = handoff.agent
        actions = _action_labels(self.organization)
        reasons = handoff.decision.reasons or []
        why = next((r for r in reasons if r.get("code") == handoff.reason), None)
        context.update(
            handoff=handoff,
            active=handoff.status in HANDOFF_ACTIVE,
            may_work=services.may_decide(
                user=self.request.user, organization=self.organization, team=handoff.team
            ),
            mine=handoff.assignee_id == self.request.user.pk,
            why=why,
            other_reasons=[r for r in reasons if r is not why],
            title=handoff_title(handoff, _signal_labels(self.organization), actions),
            action_label=actions.get(handoff.action, handoff.action),
            window=handoff.due_at - handoff.created_at,
            asked=request_facts(handoff.decision.request),
            package=context_package(
                handoff.context if isinstance(handoff.context, dict) else {},
                (agent.key.lower(), agent.name.lower()),
            ),
            resolve_form=kwargs.get("resolve_form") or HandoffResolveForm(prefix="resolve"),
            hand_back_form=kwargs.get("hand_back_form") or HandoffHandBackForm(prefix="back"),
            open_panel=kwargs.get("open_panel", ""),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handoff = self.get_handoff()
        action = request.POST.get("action", "")
        try:
            if action == "claim":
                services.handoff_claim(handoff=handoff, by=request.user)
                messages.success(request, "It is yours: the team sees you are on it.")
            elif action == "resolve":
                form = HandoffResolveForm(request.POST, prefix="resolve")
                if not form.is_valid():
                    return self._invalid(handoff, action, resolve_form=form)
                services.handoff_close(
                    handoff=handoff, by=request.user, resolution=form.cleaned_data["resolution"]
                )
                messages.success(request, "Resolved. The agent's conversation is closed.")
            elif action == "hand_back":
                form = HandoffHandBackForm(request.POST, prefix="back")
                if not form.is_valid():
                    return self._invalid(handoff, action, hand_back_form=form)
                services.handoff_close(handoff=handoff, by=request.user, **form.cleaned_data)
                messages.success(request, "Handed back: the agent picks up your follow-up task.")
            else:
                raise Http404("Unknown action.")
        except ValidationFailed as exc:
            form = HandoffResolveForm(request.POST, prefix="resolve")
            apply_error(form, exc)
            return self._invalid(handoff, "resolve", resolve_form=form)
        except (PermissionRefused, Conflict) as exc:
            self.record_service_refusal(exc)
            messages.error(request, f"{exc.message} Nothing was recorded.")
        return redirect(
            "web:inbox-handoff", org=self.organization.slug, handoff_id=handoff.public_id
        )

    def _invalid(self, handoff: Handoff, action: str, **forms: Any) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(handoff=handoff, open_panel=action, **forms), status=400
        )
