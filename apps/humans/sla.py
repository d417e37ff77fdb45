"""Handoff service levels per team: how fast people claim and close the conversations agents
hand them, how often the promised response time is broken, and what is waiting now."""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from apps.humans.constants import DEFAULT_REPORT_WINDOW, HANDOFF_ACTIVE
from apps.humans.models import Handoff
from apps.organizations.models import Organization, Team


@dataclass(frozen=True)
class Spread:
    """The middle and the slow end of a set of durations."""

    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


def spread(durations: list[timedelta]) -> Spread:
    if not durations:
        return Spread()
    ordered = sorted(durations)
    # Nearest rank: the p90 is a duration somebody actually waited.
    p90 = ordered[math.ceil(0.9 * len(ordered)) - 1]
    return Spread(count=len(ordered), median=statistics.median(ordered), p90=p90)


@dataclass(frozen=True)
class TeamSla:
    """One team's handoffs received in the window, and its queue now. `team` is None for
    handoffs routed to no team (the owners work those). A breach is a handoff closed after
    its due time, or not closed and past it."""

    team: Team | None
    received: int = 0
    closed: int = 0
    breached: int = 0
    to_claim: Spread = Spread()
    to_close: Spread = Spread()
    open_now: int = 0  # not closed, whenever received
    overdue_now: int = 0

    @property
    def name(self) -> str:
        return self.team.name if self.team else "No team (owners)"

    @property
    def on_time(self) -> int:
        return self.received - self.breached

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.received) if self.received else None


@dataclass(frozen=True)
class HandoffSla:
    days: int
    since: datetime
    teams: list[TeamSla]
    total: TeamSla


def handoff_sla(
    *, organization: Organization, days: int = DEFAULT_REPORT_WINDOW, now: datetime | None = None
) -> HandoffSla:
    """Per team, the handoffs created in the last `days` days: how many, how long until a
    person claimed them and until they were closed (median and 90th percentile), how many
    broke their due time; and, whenever received, how many are open and overdue now."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    handoffs = Handoff.objects.filter(organization=organization)
    received = handoffs.filter(created_at__gt=since, created_at__lte=now)
    late = Q(closed_at__gt=F("due_at")) | Q(status__in=HANDOFF_ACTIVE, due_at__lte=now)
    counts = {
        row["team"]: row
        for row in received.values("team").annotate(
            received=Count("pk"),
            closed=Count("pk", filter=Q(closed_at__isnull=False)),
            breached=Count("pk", filter=late),
        )
    }
    waiting = {
        row["team"]: row
        for row in handoffs.filter(status__in=HANDOFF_ACTIVE)
        .values("team")
        .annotate(open_now=Count("pk"), overdue_now=Count("pk", filter=Q(due_at__lte=now)))
    }
    to_claim: dict[int | None, list[timedelta]] = defaultdict(list)
    to_close: dict[int | None, list[timedelta]] = defaultdict(list)
    times = received.filter(claimed_at__isnull=False).values_list(
        "team", "created_at", "claimed_at", "closed_at"
    )
    for team_id, created_at, claimed_at, closed_at in times:
        to_claim[team_id].append(max(claimed_at - created_at, timedelta(0)))
        if closed_at is not None:
            to_close[team_id].append(max(closed_at - created_at, timedelta(0)))

    team_ids = set(counts) | set(waiting)
    teams = {t.pk: t for t in Team.objects.filter(organization=organization, pk__in=team_ids)}
    rows = []
    for team_id in team_ids:
        figures = counts.get(team_id, {})
        now_figures = waiting.get(team_id, {})
        rows.append(
            TeamSla(
                team=teams.get(team_id),
                received=figures.get("received", 0),
                closed=figures.get("closed", 0),
                breached=figures.get("breached", 0),
                to_claim=spread(to_claim[team_id]),
                to_close=spread(to_close[team_id]),
                open_now=now_figures.get("open_now", 0),
                overdue_now=now_figures.get("overdue_now", 0),
            )
        )
    # Teams by name; what no team was routed last.
    rows.sort(key=lambda row: (row.team is None, row.name.lower()))
    total = TeamSla(
        team=None,
        received=sum(r.received for r in rows),
        closed=sum(r.closed for r in rows),
        breached=sum(r.breached for r in rows),
        to_claim=spread([d for ds in to_claim.values() for d in ds]),
        to_close=spread([d for ds in to_close.values() for d in ds]),
        open_now=sum(r.open_now for r in rows),
        overdue_now=sum(r.overdue_now for r in rows),
    )
    return HandoffSla(days=days, since=since, teams=rows, total=total)
