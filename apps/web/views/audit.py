"""The auditor's view: a decision's evidence chain and, backwards, every decision a policy
version made; one audit event; the verification of the trail (with checkpoints an auditor
kept); and the dashboard a sales leader reads at a glance. Nothing here changes anything."""

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.audit import evidence_chain as chain
from apps.audit.constants import GENESIS_HASH, Problem
from apps.audit.models import AuditEvent
from apps.audit.services import event_hash
from apps.audit.verification import Verification, audit_verify, checkpoint_document
from apps.checks.models import Decision
from apps.engine.types import DECISIONS
from apps.humans.constants import ApprovalStatus, HandoffStatus
from apps.organizations.constants import Capability
from apps.policies.models import PolicyVersion
from apps.web.draft_diff import draft_changes
from apps.web.views.base import OrganizationPageView
from apps.web.views.decisions import request_rows

PAGE = 50
WINDOWS = (7, 30, 90)
DECISION_LABELS = {
    "allow": "allowed",
    "require_approval": "sent for approval",
    "escalate": "escalated",
    "deny": "denied",
}
APPROVAL_KEYS = ["approved", "edited", "rejected", "expired", "pending"]
APPROVAL_LABELS = {
    "approved": "approved as written",
    "edited": "edited, then approved",
    "rejected": "rejected",
    "expired": "expired unread",
    "pending": "still waiting",
}
HANDOFF_KEYS = ["handled", "waiting"]
HANDOFF_LABELS = {"handled": "resolved or handed back", "waiting": "waiting or being worked"}
MAX_UPLOAD = 5 * 1024 * 1024
MAX_KEPT = 100_000
HEX = frozenset("0123456789abcdef")


def _cursor(value: str) -> tuple[datetime, int] | None:
    """`<ISO time>|<id>`; anything malformed is no cursor at all."""
    when, _, row_id = value.partition("|")
    try:
        moment = parse_datetime(when) if when else None
    except ValueError:  # well formed, but no such time (month 13)
        moment = None
    if moment is None or not row_id.isascii() or not row_id.isdigit():
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment, int(row_id)


def _cursor_of(decision: Decision) -> str:
    return f"{decision.evaluated_at.isoformat()}|{decision.pk}"


class AuditPage(OrganizationPageView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    section = "evidence"
    queryset = AuditEvent.objects.all()


# ---- evidence ----------------------------------------------------------------------------


class EvidencePeriodForm(forms.Form):
    """The period of an evidence package, in whole UTC days: `start` from its midnight, `end`
    included (up to the next midnight, or now if that is still to come)."""

    start = forms.DateField(label="From (UTC)", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label="To, including (UTC)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "Must not be before the start.")
        return cleaned

    def period(self, *, now: datetime) -> dict[str, str]:
        """since and until as the evidence API reads them (RFC 3339, UTC)."""
        start: date = self.cleaned_data["start"]
        end: date = self.cleaned_data["end"]
        query = {"since": datetime.combine(start, time(), tzinfo=UTC).isoformat()}
        until = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
        if until < now:  # else the package runs to now, the API's default
            query["until"] = until.isoformat()
        return query


def evidence_period_initial(now: datetime) -> dict[str, date]:
    today = now.astimezone(UTC).date()
    return {"start": today - timedelta(days=30), "end": today}


class EvidenceIndexView(AuditPage):
    """Where the evidence starts: the versions that decided, the latest decisions that went to
    a person, and the evidence package of a period to download."""

    template_name = "web/audit/evidence_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "period_form", EvidencePeriodForm(initial=evidence_period_initial(timezone.now()))
        )
        context.update(
            versions=chain.evidence_versions(organization=self.organization),
            recent=chain.evidence_recent_human_work(organization=self.organization),
        )
        return context


class EvidenceDownloadView(EvidenceIndexView):
    """A date input cannot send the RFC 3339 times the evidence API reads: the period is
    checked here, then the browser is sent to the API, whose download it is."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = EvidencePeriodForm(request.GET)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(period_form=form), status=400)
        url = reverse("api:evidence-package", args=[self.organization.slug])
        return HttpResponseRedirect(f"{url}?{urlencode(form.period(now=timezone.now()))}")


class DecisionEvidenceView(AuditPage):
    template_name = "web/audit/decision_chain.html"
    queryset = Decision.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        found = chain.decision_evidence(
            organization=self.organization, decision_id=self.kwargs["decision_id"]
        )
        if found is None:
            raise Http404("No such decision.")
        decision = found.decision
        approval = found.approval
        changes = []
        if approval is not None and approval.final_draft:
            changes = draft_changes(approval.draft or {}, approval.final_draft)
        context.update(
            evidence=found,
            decision=decision,
            record=found.version,
            version=found.version.version if found.version else None,
            in_force=found.version.in_force_at(decision.evaluated_at) if found.version else None,
            request_rows=request_rows(decision.request or {}, decision.masked_paths or []),
            approval=approval,
            handoff=found.handoff,
            outcome=found.outcome,
            changes=changes,
            person=found.person,
            events=found.events,
        )
        return context


class VersionEvidenceView(AuditPage):
    template_name = "web/audit/version_decisions.html"
    queryset = PolicyVersion.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        version = chain.evidence_version_get(
            organization=self.organization,
            policy=self.kwargs["policy"],
            number=self.kwargs["number"],
        )
        if version is None:
            raise Http404("No such version.")
        summary = chain.version_decisions_summary(version=version)
        before = _cursor(self.request.GET.get("before", ""))
        rows = list(
            chain.version_decisions(version=version, before=before).prefetch_related(
                "approval", "handoff", "outcome"
            )[: PAGE + 1]
        )
        older = len(rows) > PAGE
        rows = rows[:PAGE]
        context.update(
            version=version,
            policy=version.policy,
            record=summary.record,
            summary=summary,
            decision_keys=list(DECISIONS),
            decision_labels=DECISION_LABELS,
            decisions=rows,
            older_url="?" + urlencode({"before": _cursor_of(rows[-1])}) if older else "",
            paged=before is not None,
        )
        return context


# ---- the audit trail ---------------------------------------------------------------------


class AuditEventView(AuditPage):
    template_name = "web/audit/event.html"
    section = "activity"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        event = chain.audit_event_get(organization=self.organization, seq=self.kwargs["seq"])
        if event is None:
            raise Http404("No such event.")
        before = chain.audit_event_get(organization=self.organization, seq=event.seq - 1)
        context.update(
            content_holds=event_hash(event) == event.hash,
            follows=event.prev_hash == (before.hash if before else GENESIS_HASH),
            event=event,
            before_json=json.dumps(event.before, indent=2, ensure_ascii=False)
            if event.before is not None
            else "",
            after_json=json.dumps(event.after, indent=2, ensure_ascii=False)
            if event.after is not None
            else "",
            trail_page=chain.audit_trail_page_of(organization=self.organization, seq=event.seq),
            previous=before,
            next=chain.audit_event_get(organization=self.organization, seq=event.seq + 1),
        )
        return context


class CheckpointUploadForm(forms.Form):
    """Checkpoints an auditor kept: the JSON this site lets them download (a list of signed
    statements, or one statement), checked field by field before anything is verified."""

    checkpoints = forms.FileField(
        label="Checkpoints you kept (JSON)",
        error_messages={
            "required": "Choose the JSON file of checkpoints you downloaded earlier.",
            "empty": "The file is empty.",
        },
    )

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.sha256 = ""
        self.others = 0

    def clean_checkpoints(self) -> list[dict[str, Any]]:
        upload = self.cleaned_data["checkpoints"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; checkpoint files are at most "
                f"{MAX_UPLOAD // (1024 * 1024)} MB."
            )
        raw = upload.read()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text, so not JSON.") from exc
        try:
            data = json.loads(text)
        except ValueError as exc:
            where = f" (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "lineno") else ""
            raise forms.ValidationError(
                f"The file is not valid JSON{where}: {getattr(exc, 'msg', exc)}."
            ) from exc
        items = data if isinstance(data, list) else [data]
        if not items:
            raise forms.ValidationError("The file holds no checkpoints (an empty list).")
        if len(items) > MAX_KEPT:
            raise forms.ValidationError(f"More than {MAX_KEPT:,} checkpoints: split the file.")
        problems = []
        for number, item in enumerate(items, start=1):
            problem = checkpoint_problem(item)
            if problem:
                problems.append(f"Checkpoint {number}: {problem}")
        if problems:
            shown = problems[:5]
            if len(problems) > 5:
                shown.append(f"… and {len(problems) - 5} more.")
            raise forms.ValidationError(
                [forms.ValidationError(p) for p in shown] + [forms.ValidationError(_SHAPE)]
            )
        mine = [c for c in items if c["organization_id"] == self.organization.pk]
        self.others = len(items) - len(mine)
        if not mine:
            names = sorted({str(c.get("organization") or c["organization_id"]) for c in items})
            raise forms.ValidationError(
                f"None of these checkpoints is of {self.organization.name}: they sign the "
                f"trail of {', '.join(names)}. Upload the file downloaded from this "
                "organization's verification page."
            )
        return mine


_SHAPE = (
    "Each checkpoint is an object with organization_id and seq (whole numbers), hash and "
    "signature (64 hexadecimal characters), key_id (16) and at (an ISO 8601 time), as in "
    "the file this page lets you download."
)


def checkpoint_problem(item: Any) -> str:
    """What is wrong with one statement's shape, or "" (its signature is checked later, by
    verification, where a forged one is named as such)."""
    if not isinstance(item, dict):
        return "not an object."
    missing = [
        name
        for name in ("organization_id", "seq", "hash", "at", "key_id", "signature")
        if name not in item
    ]
    if missing:
        return f"missing {', '.join(missing)}."
    for name in ("organization_id", "seq"):
        value = item[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f"{name} must be a whole number from 1, not {json.dumps(value)[:40]}."
    for name, length in (("hash", 64), ("signature", 64), ("key_id", 16)):
        value = item[name]
        if not isinstance(value, str) or len(value) != length or not set(value) <= HEX:
            return f"{name} must be {length} lowercase hexadecimal characters."
    at = item["at"]
    try:
        moment = parse_datetime(at) if isinstance(at, str) else None
    except ValueError:
        moment = None
    if moment is None:
        return "at must be an ISO 8601 time, e.g. 2026-11-23T16:00:00+00:00."
    return ""


class VerifyView(AuditPage):
    """Walk the chain now; optionally against checkpoints the auditor kept."""

    template_name = "web/audit/verify.html"
    permission_map = {"GET": Capability.VIEW_AUDIT, "POST": Capability.VIEW_AUDIT}
    section = "verify"
    queryset = AuditEvent.objects.all()
    shown_checkpoints = 20

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kept = kwargs.get("kept")
        result: Verification = audit_verify(organization=self.organization, checkpoints=kept)
        checkpoints = chain.audit_checkpoints(organization=self.organization)
        named = {f.seq for f in result.problems}
        existing = set(
            AuditEvent.objects.filter(organization=self.organization, seq__in=named).values_list(
                "seq", flat=True
            )
        )
        problems = [
            {
                "kind": f.kind,
                "label": Problem(f.kind).label if f.kind in Problem.values else f.kind,
                "seq": f.seq,
                "exists": f.seq in existing,
                "page": chain.audit_trail_page_of(organization=self.organization, seq=f.seq)
                if f.seq in existing
                else None,
                "message": f.message,
            }
            for f in result.problems
        ]
        context.setdefault("form", CheckpointUploadForm(organization=self.organization))
        context.update(
            result=result,
            problems=problems,
            checkpoints=checkpoints[-self.shown_checkpoints :][::-1],
            checkpoints_total=len(checkpoints),
            checked_at=timezone.now(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CheckpointUploadForm(request.POST, request.FILES, organization=self.organization)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        kept = form.cleaned_data["checkpoints"]
        context = self.get_context_data(form=form, kept=kept)
        context.update(
            uploaded={
                "name": request.FILES["checkpoints"].name,
                "sha256": form.sha256,
                "used": len(kept),
                "others": form.others,
            }
        )
        return self.render_to_response(context)


class CheckpointsDownloadView(AuditPage):
    """Every signed checkpoint of the organization, as the list verify_audit --checkpoints
    and the upload above read back."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        documents = [
            checkpoint_document(c) for c in chain.audit_checkpoints(organization=self.organization)
        ]
        response = JsonResponse(documents, safe=False, json_dumps_params={"indent": 2})
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        name = f"checkpoints-{self.organization.slug}-{stamp}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


# ---- the dashboard -----------------------------------------------------------------------


class DashboardView(OrganizationPageView):
    """Decisions over time, how fast people decide approvals, what sends conversations to
    people, and whether the trail verifies."""

    template_name = "web/audit/dashboard.html"
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    section = "dashboard"
    queryset = Decision.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        requested = self.request.GET.get("days", "")
        days = int(requested) if requested.isdigit() and int(requested) in WINDOWS else 30
        window = chain.Window.last(days)
        figures = chain.dashboard_figures(organization=self.organization, window=window)
        approvals = [
            {"label": row["team"], "values": row["statuses"]} for row in figures["turnaround"]
        ]
        escalations = [
            {
                "label": row["label"],
                "values": {"handled": row["total"] - row["waiting"], "waiting": row["waiting"]},
            }
            for row in figures["escalations"]
        ]
        context.update(
            days=days,
            windows=WINDOWS,
            window=window,
            figures=figures,
            decision_keys=list(DECISIONS),
            decision_labels=DECISION_LABELS,
            approval_rows=approvals,
            approval_keys=APPROVAL_KEYS,
            approval_labels=APPROVAL_LABELS,
            escalation_rows=escalations,
            handoff_keys=HANDOFF_KEYS,
            handoff_labels=HANDOFF_LABELS,
            badge=chain.verification_badge(organization=self.organization)
            if self.has_capability(Capability.VIEW_AUDIT)
            else None,
            approval_statuses=ApprovalStatus,
            handoff_statuses=HandoffStatus,
        )
        return context
