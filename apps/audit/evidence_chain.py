"""Reads behind the auditor's view: one decision's evidence chain (the request as recorded,
the version that decided it and its review, the person's work, the outcome the agent
reported), every decision one version made, the dashboard's figures, and verification at a
glance. Everything is scoped by the organization it is given."""

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.verification import audit_verify
from apps.catalogs.models import Signal
from apps.checks.models import Decision
from apps.engine.types import DECISIONS
from apps.humans.constants import HANDOFF_ACTIVE, ApprovalStatus, HandoffStatus
from apps.humans.models import Approval, Handoff, Outcome
from apps.policies import document
from apps.policies.models import PolicyVersion

# The audit trail page lists this many events a page, newest first.
TRAIL_PAGE = 50
# Approvals people decided (an expiry is nobody's decision: it has no turnaround).
DECIDED = (ApprovalStatus.APPROVED, ApprovalStatus.EDITED, ApprovalStatus.REJECTED)
# How long the dashboard's verification badge is reused for an unchanged chain head.
BADGE_SECONDS = 300


# ---- the policy version ------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRecord:
    """A version with what its review proves: who wrote, reviewed and published it, and
    whether its document still hashes to what was approved."""

    version: PolicyVersion
    contributors: list[str]
    document_matches_hash: bool
    approved_hash_matches: bool
    events: list[AuditEvent]

    @property
    def hash_holds(self) -> bool:
        return self.document_matches_hash and (
            not self.version.approved_hash or self.approved_hash_matches
        )

    def in_force_at(self, moment: datetime) -> bool:
        version = self.version
        return (
            version.activated_at is not None
            and version.activated_at <= moment
            and (version.superseded_at is None or moment < version.superseded_at)
        )


def _events_about(organization: Any, pairs: list[tuple[str, Any]]) -> list[AuditEvent]:
    """The audit events naming any of (object_type, object_id), in chain order."""
    wanted = Q(pk__in=[])
    for object_type, object_id in pairs:
        wanted |= Q(object_type=object_type, object_id=str(object_id))
    return list(AuditEvent.objects.filter(organization=organization).filter(wanted).order_by("seq"))


def version_record(version: PolicyVersion) -> VersionRecord:
    contributors = sorted(
        user.get_username() for user in version.contributors.all() if user.pk != version.author_id
    )
    return VersionRecord(
        version=version,
        contributors=contributors,
        document_matches_hash=document.content_hash(version.document) == version.content_hash,
        approved_hash_matches=version.approved_hash == version.content_hash,
        events=_events_about(version.organization_id, [("policies.policyversion", version.pk)]),
    )


def _versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.select_related(
        "policy", "author", "submitted_by", "reviewed_by", "published_by", "based_on"
    ).prefetch_related("contributors")


def evidence_version_get(*, organization: Any, policy: str, number: int) -> PolicyVersion | None:
    return _versions().filter(organization=organization, policy__key=policy, number=number).first()


# ---- one decision's chain ----------------------------------------------------------------


@dataclass
class DecisionEvidence:
    """From a decision, everything that followed from it, each link with its audit events."""

    decision: Decision
    version: VersionRecord | None
    approval: Approval | None
    handoff: Handoff | None
    outcome: Outcome | None
    events: list[AuditEvent] = field(default_factory=list)

    @property
    def approval_wait(self) -> timedelta | None:
        a = self.approval
        return a.decided_at - a.created_at if a and a.decided_at else None

    @property
    def approval_in_time(self) -> bool | None:
        a = self.approval
        if a is None or a.decided_at is None or a.status == ApprovalStatus.EXPIRED:
            return None
        return a.decided_at <= a.due_at

    @property
    def handoff_to_claim(self) -> timedelta | None:
        h = self.handoff
        return h.claimed_at - h.created_at if h and h.claimed_at else None

    @property
    def handoff_to_close(self) -> timedelta | None:
        h = self.handoff
        return h.closed_at - h.created_at if h and h.closed_at else None

    @property
    def handoff_in_time(self) -> bool | None:
        h = self.handoff
        if h is None:
            return None
        answered = h.claimed_at or h.closed_at
        return answered <= h.due_at if answered else None

    @property
    def changed_fields(self) -> list[str]:
        """The draft's fields the person changed before approving (an edit)."""
        a = self.approval
        if a is None or not a.final_draft:
            return []
        before, after = a.draft or {}, a.final_draft
        return sorted(k for k in {**before, **after} if before.get(k) != after.get(k))

    @property
    def person(self) -> Any:
        """Who acted on it: the approval's decider, or whoever took the handoff."""
        if self.approval is not None:
            return self.approval.decided_by
        if self.handoff is not None:
            return self.handoff.closed_by or self.handoff.assignee
        return None


def decision_evidence(*, organization: Any, decision_id: str) -> DecisionEvidence | None:
    decision = (
        Decision.objects.filter(organization=organization, decision_id=decision_id)
        .select_related("agent", "agent__team", "policy")
        .first()
    )
    if decision is None:
        return None
    version = None
    if decision.policy_version_id is not None:
        found = _versions().filter(pk=decision.policy_version_id).first()
        version = version_record(found) if found is not None else None
    approval = (
        Approval.objects.filter(decision=decision).select_related("team", "decided_by").first()
    )
    handoff = (
        Handoff.objects.filter(decision=decision)
        .select_related("team", "assignee", "closed_by")
        .first()
    )
    outcome = Outcome.objects.filter(decision=decision).first()
    pairs: list[tuple[str, Any]] = [("checks.decision", decision.pk)]
    if approval is not None:
        pairs.append(("humans.approval", approval.pk))
    if handoff is not None:
        pairs.append(("humans.handoff", handoff.pk))
    return DecisionEvidence(
        decision=decision,
        version=version,
        approval=approval,
        handoff=handoff,
        outcome=outcome,
        events=_events_about(organization, pairs),
    )


# ---- backwards: every decision one version made ------------------------------------------


@dataclass
class VersionDecisions:
    """What one version decided: counts by decision, by what agents reported, and the
    people's work it led to."""

    record: VersionRecord
    total: int
    by_decision: dict[str, int]
    reported: dict[str, int]
    approvals: dict[str, int]
    handoffs: dict[str, int]
    first_at: datetime | None
    last_at: datetime | None


def version_decisions_summary(*, version: PolicyVersion) -> VersionDecisions:
    decisions = Decision.objects.filter(
        organization_id=version.organization_id, policy_version=version
    )
    by_decision = dict.fromkeys(DECISIONS, 0)
    for row in decisions.values("decision").annotate(n=Count("id")).order_by():
        by_decision[row["decision"]] = row["n"]
    span = decisions.aggregate(first=Min("evaluated_at"), last=Max("evaluated_at"))
    total = sum(by_decision.values())
    outcomes = Outcome.objects.filter(
        organization_id=version.organization_id, decision__policy_version=version
    ).aggregate(
        done=Count("id", filter=Q(executed=True)),
        not_done=Count("id", filter=Q(executed=False)),
    )
    approvals = dict(
        Approval.objects.filter(
            organization_id=version.organization_id, decision__policy_version=version
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    handoffs = dict(
        Handoff.objects.filter(
            organization_id=version.organization_id, decision__policy_version=version
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return VersionDecisions(
        record=version_record(version),
        total=total,
        by_decision=by_decision,
        reported={
            "executed": outcomes["done"],
            "not_executed": outcomes["not_done"],
            "unreported": total - outcomes["done"] - outcomes["not_done"],
        },
        approvals={s: approvals.get(s, 0) for s in ApprovalStatus.values if approvals.get(s)},
        handoffs={s: handoffs.get(s, 0) for s in HandoffStatus.values if handoffs.get(s)},
        first_at=span["first"],
        last_at=span["last"],
    )


def version_decisions(
    *, version: PolicyVersion, before: tuple[datetime, int] | None = None
) -> QuerySet[Decision]:
    """The version's decisions, newest first (evaluated_at, then id); `before` is a keyset
    cursor, so a page deep in the list costs what the first does."""
    rows = Decision.objects.filter(organization_id=version.organization_id, policy_version=version)
    if before is not None:
        moment, row_id = before
        rows = rows.filter(evaluated_at__lte=moment).filter(
            Q(evaluated_at__lt=moment) | Q(id__lt=row_id)
        )
    return rows.select_related("agent").order_by("-evaluated_at", "-id")


def evidence_versions(*, organization: Any) -> list[dict[str, Any]]:
    """Every version that has been in force or decided anything, newest first per policy,
    with how many decisions it made (one grouped query)."""
    counts = dict(
        Decision.objects.filter(organization=organization, policy_version__isnull=False)
        .values_list("policy_version")
        .annotate(n=Count("id"))
        .order_by()
    )
    versions = (
        PolicyVersion.objects.filter(organization=organization)
        .filter(Q(activated_at__isnull=False) | Q(pk__in=list(counts)))
        .select_related("policy", "author", "reviewed_by")
        .order_by("policy__name", "-number")
    )
    return [{"version": v, "decisions": counts.get(v.pk, 0)} for v in versions]


def evidence_recent_human_work(*, organization: Any, limit: int = 12) -> list[Decision]:
    """The latest decisions that went to a person: where the chain is longest."""
    return list(
        Decision.objects.filter(organization=organization)
        .filter(Q(approval__isnull=False) | Q(handoff__isnull=False))
        .select_related("agent", "policy_version__policy", "approval", "handoff")
        .order_by("-evaluated_at", "-id")[:limit]
    )


# ---- the audit trail ---------------------------------------------------------------------


def audit_event_get(*, organization: Any, seq: int) -> AuditEvent | None:
    return AuditEvent.objects.filter(organization=organization, seq=seq).first()


def audit_trail_page_of(*, organization: Any, seq: int) -> int:
    """The page of the audit trail (newest first, unfiltered) that lists event #seq."""
    newer = AuditEvent.objects.filter(organization=organization, seq__gte=seq).count()
    return max(1, math.ceil(newer / TRAIL_PAGE))


def audit_checkpoints(*, organization: Any) -> list[AuditCheckpoint]:
    return list(
        AuditCheckpoint.objects.filter(organization=organization)
        .select_related("organization")
        .order_by("seq")
    )


def verification_badge(*, organization: Any) -> dict[str, Any]:
    """Verification at a glance, reused while the chain's head and checkpoints stay the
    same (for a few minutes): the verification page itself always walks the chain."""
    head = (
        AuditEvent.objects.filter(organization=organization)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    ) or (0, "")
    held = AuditCheckpoint.objects.filter(organization=organization).count()
    key = f"audit-badge:{organization.pk}:{head[0]}:{head[1][:16]}:{held}"
    badge = cache.get(key)
    if badge is None:
        result = audit_verify(organization=organization)
        badge = {
            "ok": result.ok,
            "head_seq": result.head_seq,
            "events": result.events,
            "problems": len(result.problems),
            "checkpoints": held,
            "checked_at": timezone.now(),
        }
        cache.set(key, badge, BADGE_SECONDS)
    return badge


# ---- the dashboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The last `days` days in UTC, today included: [start, end)."""

    days: int
    first_day: date
    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, now: datetime | None = None) -> "Window":
        now = (now or timezone.now()).astimezone(UTC)
        first_day = now.date() - timedelta(days=days - 1)
        start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
        return cls(days, first_day, start, start + timedelta(days=days))

    @property
    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]


def decisions_by_day(*, organization: Any, window: Window) -> list[dict[str, Any]]:
    """One row per day of the window (empty days included): the count of each decision,
    grouped by the database."""
    grouped = (
        Decision.objects.filter(
            organization=organization,
            evaluated_at__gte=window.start,
            evaluated_at__lt=window.end,
        )
        .annotate(day=TruncDate("evaluated_at", tzinfo=UTC))
        .values("day", "decision")
        .annotate(n=Count("id"))
        .order_by()
    )
    days: dict[date, dict[str, int]] = {d: dict.fromkeys(DECISIONS, 0) for d in window.dates}
    for row in grouped:
        day = row["day"]
        if isinstance(day, datetime):
            day = day.date()
        if day in days and row["decision"] in days[day]:
            days[day][row["decision"]] = row["n"]
    return [{"day": day, "counts": counts} for day, counts in days.items()]


def _percentile(sorted_values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def approval_turnaround(*, organization: Any, window: Window) -> list[dict[str, Any]]:
    """Per team, for approvals created in the window: counts by status (grouped by the
    database) and the median and 90th percentile of the time people took to decide."""
    approvals = Approval.objects.filter(
        organization=organization, created_at__gte=window.start, created_at__lt=window.end
    )
    teams: dict[Any, dict[str, Any]] = {}

    def team(team_id: Any, name: str | None) -> dict[str, Any]:
        return teams.setdefault(
            team_id,
            {
                "team": name or "Owners (no team named)",
                "statuses": dict.fromkeys(ApprovalStatus.values, 0),
                "total": 0,
                "waits": [],
            },
        )

    for row in (
        approvals.values("team_id", "team__name", "status").annotate(n=Count("id")).order_by()
    ):
        entry = team(row["team_id"], row["team__name"])
        entry["statuses"][row["status"]] = row["n"]
        entry["total"] += row["n"]
    # People decide approvals one by one: a team's window holds hundreds, not millions.
    decided = approvals.filter(status__in=DECIDED, decided_at__isnull=False).values_list(
        "team_id", "team__name", "created_at", "decided_at"
    )
    for team_id, name, created_at, decided_at in decided:
        team(team_id, name)["waits"].append((decided_at - created_at).total_seconds())
    rows = []
    for entry in teams.values():
        waits = sorted(entry.pop("waits"))
        entry["decided"] = len(waits)
        entry["median"] = timedelta(seconds=statistics.median(waits)) if waits else None
        entry["p90"] = timedelta(seconds=_percentile(waits, 0.9)) if waits else None
        rows.append(entry)
    return sorted(rows, key=lambda r: (-r["total"], r["team"]))


def _reason_label(code: str, signals: dict[str, str]) -> str:
    kind, _, key = code.partition(".")
    if kind == "trigger":
        return signals.get(key) or key.replace("_", " ").capitalize()
    if code == "action.escalate":
        return "Action always handled by a person"
    return code


def escalations_by_trigger(*, organization: Any, window: Window) -> list[dict[str, Any]]:
    """Handoffs created in the window by the trigger that fired (the decisive reason), with
    how many are still waiting or being worked."""
    open_states = HANDOFF_ACTIVE
    now = timezone.now()
    rows = (
        Handoff.objects.filter(
            organization=organization, created_at__gte=window.start, created_at__lt=window.end
        )
        .values("reason")
        .annotate(
            total=Count("id"),
            waiting=Count("id", filter=Q(status__in=open_states)),
            # Answered after the promised time, or not answered and past it.
            late=Count(
                "id",
                filter=Q(claimed_at__gt=F("due_at"))
                | Q(claimed_at__isnull=True, closed_at__gt=F("due_at"))
                | Q(claimed_at__isnull=True, closed_at__isnull=True, due_at__lt=now),
            ),
        )
        .order_by("-total", "reason")
    )
    signals = dict(Signal.objects.filter(organization=organization).values_list("key", "label"))
    return [{**row, "label": _reason_label(row["reason"], signals)} for row in rows]


def dashboard_figures(*, organization: Any, window: Window) -> dict[str, Any]:
    days = decisions_by_day(organization=organization, window=window)
    totals: Counter[str] = Counter()
    for day in days:
        totals.update(day["counts"])
    decided_total = sum(totals.values())
    turnaround = approval_turnaround(organization=organization, window=window)
    waits = Approval.objects.filter(
        organization=organization,
        created_at__gte=window.start,
        created_at__lt=window.end,
        status__in=DECIDED,
        decided_at__isnull=False,
    ).values_list("created_at", "decided_at")
    all_waits = sorted((d - c).total_seconds() for c, d in waits)
    escalations = escalations_by_trigger(organization=organization, window=window)
    reported = Outcome.objects.filter(
        organization=organization,
        decision__evaluated_at__gte=window.start,
        decision__evaluated_at__lt=window.end,
    ).aggregate(done=Count("id", filter=Q(executed=True)), all=Count("id"))
    return {
        "days": days,
        "totals": {d: totals.get(d, 0) for d in DECISIONS},
        "decisions": decided_total,
        "allowed_share": round(100 * totals.get("allow", 0) / decided_total)
        if decided_total
        else None,
        "turnaround": turnaround,
        "approvals": sum(r["total"] for r in turnaround),
        "approvals_decided": len(all_waits),
        "approvals_median": timedelta(seconds=statistics.median(all_waits)) if all_waits else None,
        "approvals_pending": sum(r["statuses"][ApprovalStatus.PENDING] for r in turnaround),
        "escalations": escalations,
        "handoffs": sum(r["total"] for r in escalations),
        "handoffs_waiting": sum(r["waiting"] for r in escalations),
        "reported_executed": reported["done"],
        "reported": reported["all"],
    }
