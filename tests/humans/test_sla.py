"""Handoff service levels per team: time to claim and to close, breaches, what is open and
overdue now; one organization's figures only, over the chosen window."""

from datetime import timedelta

import pytest

from apps.humans.constants import DEFAULT_REPORT_WINDOW
from apps.humans.models import Handoff
from apps.humans.sla import Spread, handoff_sla, spread

pytestmark = pytest.mark.django_db

M = timedelta(minutes=1)


def test_each_team_gets_its_figures(figures):
    sla = handoff_sla(organization=figures.org, now=figures.now)
    assert sla.days == DEFAULT_REPORT_WINDOW == 30
    assert [row.name for row in sla.teams] == ["Deal Desk", "Spare", "No team (owners)"]
    desk, spare, none = sla.teams

    assert (desk.received, desk.closed, desk.breached) == (3, 2, 2)
    assert desk.to_claim == Spread(count=2, median=7 * M + 30 * timedelta(seconds=1), p90=10 * M)
    assert desk.to_close == Spread(count=2, median=26 * M, p90=40 * M)
    assert (desk.open_now, desk.overdue_now) == (1, 1)
    assert (desk.on_time, desk.on_time_percent) == (1, 33)

    assert (spare.received, spare.closed, spare.breached) == (1, 0, 0)
    assert spare.to_claim == Spread(count=1, median=2 * M, p90=2 * M)
    assert spare.to_close == Spread()
    assert (spare.open_now, spare.overdue_now) == (1, 0)
    assert spare.on_time_percent == 100

    assert none.team is None
    assert (none.received, none.closed, none.breached) == (1, 1, 1)
    assert none.to_close == Spread(count=1, median=20 * M, p90=20 * M)

    total = sla.total
    assert (total.received, total.closed, total.breached) == (5, 3, 3)
    assert (total.open_now, total.overdue_now) == (2, 1)
    assert total.to_claim.count == 4
    assert total.to_close.median == 20 * M  # of 40, 12 and 20 minutes


def test_the_window_decides_what_was_received_not_what_is_open(figures):
    week = handoff_sla(organization=figures.org, days=7, now=figures.now)
    assert [(r.name, r.received) for r in week.teams] == [
        ("Deal Desk", 3),
        ("Spare", 1),
        ("No team (owners)", 1),
    ]
    quarter = handoff_sla(organization=figures.org, days=90, now=figures.now)
    desk = quarter.teams[0]
    assert (desk.received, desk.closed, desk.breached) == (4, 3, 3)
    assert desk.to_close.p90 == 90 * M

    # A team with nothing received in the window still shows what it has open.
    later = figures.now + timedelta(days=31)
    month_later = handoff_sla(organization=figures.org, now=later)
    assert [(r.name, r.received, r.open_now) for r in month_later.teams] == [
        ("Deal Desk", 0, 1),
        ("Spare", 0, 1),
    ]
    assert month_later.teams[0].on_time_percent is None


def test_other_organizations_are_not_counted(figures):
    theirs = handoff_sla(organization=figures.other, now=figures.now)
    assert [(r.name, r.received, r.breached, r.overdue_now) for r in theirs.teams] == [
        ("Other Team", 1, 1, 1)
    ]
    ours = handoff_sla(organization=figures.org, now=figures.now)
    assert "Other Team" not in [r.name for r in ours.teams]


def test_no_handoffs_no_rows(world):
    Handoff.objects.filter(organization=world.org).delete()
    sla = handoff_sla(organization=world.org)
    assert sla.teams == []
    assert sla.total.received == 0
    assert sla.total.on_time_percent is None


def test_spread():
    assert spread([]) == Spread()
    assert spread([M * n for n in range(1, 11)]) == Spread(count=10, median=5.5 * M, p90=9 * M)
    assert spread([M * n for n in range(1, 12)]).p90 == 10 * M
