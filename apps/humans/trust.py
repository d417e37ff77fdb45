"""Trust figures: how each agent's drafts fared with people, per action and window, and where
that record says an action still on approval could be made autonomous. A recommendation is
only evidence: the change it proposes becomes a draft version, reviewed like any other."""

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from apps.agents.models import Agent
from apps.humans.constants import DEFAULT_REPORT_WINDOW, ApprovalStatus
from apps.humans.models import Approval, Outcome
from apps.organizations.models import Organization
from apps.policies.constants import Mode, VersionState
from apps.policies.models import PolicyVersion

# Versions after the active one that may still become it: one of them may already propose
# the change.
OPEN_STATES = (VersionState.DRAFT, VersionState.IN_REVIEW, VersionState.APPROVED)


@dataclass(frozen=True)
class Thresholds:
    min_approvals: int
    min_unchanged_rate: float

    @property
    def min_unchanged_percent(self) -> int:
        return round(self.min_unchanged_rate * 100)


def trust_thresholds() -> Thresholds:
    return Thresholds(
        min_approvals=settings.MANDATE_TRUST_MIN_APPROVALS,
        min_unchanged_rate=settings.MANDATE_TRUST_MIN_UNCHANGED_RATE,
    )


@dataclass(frozen=True)
class ActionTrust:
    """One agent's record with one action over the window. `decided` counts what a person
    decided; an expired approval says nothing about the draft, so it is shown but left out
    of the unchanged rate."""

    action: str
    mode: str | None  # in the active version of the agent's policy; None: not in it
    approved: int = 0  # approved unchanged
    edited: int = 0
    rejected: int = 0
    expired: int = 0
    pending: int = 0
    executed: int = 0  # outcomes reported for the action's decisions
    not_executed: int = 0
    note: str = ""  # why it is, or is not, recommended
    recommended: bool = False

    @property
    def decided(self) -> int:
        return self.approved + self.edited + self.rejected

    @property
    def closed(self) -> int:
        return self.decided + self.expired

    @property
    def unchanged(self) -> Fraction | None:
        return Fraction(self.approved, self.decided) if self.decided else None

    @property
    def unchanged_rate(self) -> float | None:
        rate = self.unchanged
        return float(rate) if rate is not None else None

    @property
    def unchanged_percent(self) -> int | None:
        # Rounded down: 89.6% never shows as the 90% it falls short of.
        rate = self.unchanged
        return math.floor(rate * 100) if rate is not None else None

    @property
    def reported(self) -> int:
        return self.executed + self.not_executed

    # Cumulative counts for the stacked bar: approved, then edited, rejected, expired.
    @property
    def bar(self) -> dict[str, int]:
        return {
            "approved": self.approved,
            "edited": self.approved + self.edited,
            "rejected": self.decided,
            "expired": self.closed,
        }


@dataclass(frozen=True)
class Recommendation:
    """ "Move <action> to autonomous", with the figures that support it."""

    agent: Agent
    action: str
    days: int
    figures: ActionTrust
    thresholds: Thresholds
    active_version: PolicyVersion
    proposed_in: PolicyVersion | None = None  # a later open version that already does it

    @property
    def text(self) -> str:
        return f"move {self.action} to autonomous"

    @property
    def evidence(self) -> dict[str, Any]:
        """What the audit trail keeps of the record behind the proposal."""
        figures = self.figures
        return {
            "agent": self.agent.key,
            "window_days": self.days,
            "active_version": self.active_version.number,
            "decided": figures.decided,
            "approved_unchanged": figures.approved,
            "edited": figures.edited,
            "rejected": figures.rejected,
            "expired": figures.expired,
            "unchanged_rate": round(figures.unchanged_rate or 0.0, 4),
            "executed": figures.executed,
            "not_executed": figures.not_executed,
            "min_approvals": self.thresholds.min_approvals,
            "min_unchanged_rate": self.thresholds.min_unchanged_rate,
        }


@dataclass
class AgentTrust:
    agent: Agent
    active_version: PolicyVersion | None
    actions: list[ActionTrust] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)

    def recommendation_for(self, action: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.action == action), None)


def _qualifies(figures: ActionTrust, thresholds: Thresholds) -> bool:
    if figures.mode != Mode.APPROVAL or figures.decided < thresholds.min_approvals:
        return False
    # Exact: 18 of 20 meets 0.9, whatever floating point makes of 18 / 20.
    needed = Fraction(str(thresholds.min_unchanged_rate))
    return figures.unchanged is not None and figures.unchanged >= needed


def _note(figures: ActionTrust, thresholds: Thresholds) -> str:
    if figures.mode is None:
        return "Not in the active version."
    if figures.mode == Mode.AUTONOMOUS:
        if figures.closed or figures.pending:
            return "Already autonomous: approvals come from its threshold, limits or a pause."
        return "Already autonomous."
    if figures.mode != Mode.APPROVAL:
        return f"{Mode(figures.mode).label}: not a candidate."
    if figures.decided < thresholds.min_approvals:
        return f"{figures.decided} of the {thresholds.min_approvals} decided approvals needed."
    if not _qualifies(figures, thresholds):
        return (
            f"{figures.unchanged_percent}% unchanged; {thresholds.min_unchanged_percent}% needed."
        )
    return "Recommended."


def _proposed_in(active: PolicyVersion, action: str) -> PolicyVersion | None:
    later = PolicyVersion.objects.filter(
        policy_id=active.policy_id, state__in=OPEN_STATES, number__gt=active.number
    ).order_by("-number")
    for version in later:
        spec = (version.document.get("actions") or {}).get(action) or {}
        if spec.get("mode") == Mode.AUTONOMOUS:
            return version
    return None


def agents_trust(
    *,
    organization: Organization,
    days: int = DEFAULT_REPORT_WINDOW,
    now: datetime | None = None,
    agent: Agent | None = None,
) -> list[AgentTrust]:
    """Every agent of the organization (or one) with its figures per action over the last
    `days` days, busiest action first, and the recommendations they support."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    thresholds = trust_thresholds()
    chosen = Agent.objects.filter(organization=organization).select_related("policy")
    if agent is not None:
        chosen = chosen.filter(pk=agent.pk)
    agents = list(chosen.order_by("name"))
    policy_ids = {a.policy_id for a in agents if a.policy_id}
    active = {
        v.policy_id: v
        for v in PolicyVersion.objects.filter(
            policy_id__in=policy_ids, state=VersionState.ACTIVE
        ).select_related("policy")
    }
    documents = {policy_id: version.document for policy_id, version in active.items()}

    counts: dict[tuple[int, str], dict[str, int]] = {}
    approvals = (
        Approval.objects.filter(
            organization=organization,
            agent__in=agents,
            created_at__gte=since,
            created_at__lte=now,
        )
        .values("agent_id", "action", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in approvals:
        counts.setdefault((row["agent_id"], row["action"]), {})[row["status"]] = row["n"]
    outcomes = (
        Outcome.objects.filter(
            organization=organization,
            agent__in=agents,
            decision__evaluated_at__gte=since,
            decision__evaluated_at__lte=now,
        )
        .values("agent_id", "decision__action", "executed")
        .annotate(n=Count("id"))
        .order_by()
    )
    for reported in outcomes:
        key = "executed" if reported["executed"] else "not_executed"
        action_key = (reported["agent_id"], reported["decision__action"])
        counts.setdefault(action_key, {})[key] = reported["n"]

    result = []
    for each in agents:
        version = active.get(each.policy_id) if each.policy_id is not None else None
        document = documents.get(version.policy_id, {}) if version is not None else {}
        actions_doc = document.get("actions") or {}
        rows = []
        for (agent_id, action), seen in counts.items():
            if agent_id != each.pk:
                continue
            rows.append(
                ActionTrust(
                    action=action,
                    mode=(actions_doc.get(action) or {}).get("mode"),
                    approved=seen.get(ApprovalStatus.APPROVED, 0),
                    edited=seen.get(ApprovalStatus.EDITED, 0),
                    rejected=seen.get(ApprovalStatus.REJECTED, 0),
                    expired=seen.get(ApprovalStatus.EXPIRED, 0),
                    pending=seen.get(ApprovalStatus.PENDING, 0),
                    executed=seen.get("executed", 0),
                    not_executed=seen.get("not_executed", 0),
                )
            )
        rows = [
            replace(row, note=_note(row, thresholds), recommended=_qualifies(row, thresholds))
            for row in rows
        ]
        rows.sort(key=lambda r: (-(r.closed + r.pending), -r.reported, r.action))
        recommendations = [
            Recommendation(
                agent=each,
                action=row.action,
                days=days,
                figures=row,
                thresholds=thresholds,
                active_version=version,
                proposed_in=_proposed_in(version, row.action),
            )
            for row in rows
            if version is not None and row.recommended
        ]
        result.append(
            AgentTrust(
                agent=each, active_version=version, actions=rows, recommendations=recommendations
            )
        )
    # Agents with something to act on first, then those with a record, then quiet ones.
    result.sort(key=lambda a: (not a.recommendations, not a.actions, a.agent.name))
    return result


def why_not_recommended(*, record: AgentTrust, action: str) -> str:
    """In words, why an agent's record does not recommend making `action` autonomous."""
    if record.agent.policy_id is None:
        return "the agent follows no policy"
    if record.active_version is None:
        return "its policy has no active version"
    figures = next((row for row in record.actions if row.action == action), None)
    if figures is None:  # nothing asked of people in the window
        spec = (record.active_version.document.get("actions") or {}).get(action) or {}
        figures = ActionTrust(action=action, mode=spec.get("mode"))
    note = _note(figures, trust_thresholds()).rstrip(".")
    return note[:1].lower() + note[1:]


def agent_trust(
    *, agent: Agent, days: int = DEFAULT_REPORT_WINDOW, now: datetime | None = None
) -> AgentTrust:
    """One agent's record over the window, read now."""
    return agents_trust(organization=agent.organization, days=days, now=now, agent=agent)[0]
