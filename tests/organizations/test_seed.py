"""The demo data: who is where, and running it twice changes nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import AgentKey
from apps.audit.models import AuditEvent
from apps.checks.models import Decision
from apps.humans.models import Approval, Handoff, Outcome
from apps.humans.selectors import approvals_list, handoffs_list
from apps.humans.trust import agents_trust
from apps.organizations.models import Membership, Organization, Team, TeamMembership
from apps.policies.models import PolicyVersion

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": list(User.objects.order_by("pk").values_list("username", "password", "email")),
        "orgs": list(Organization.objects.order_by("pk").values_list("slug", "name")),
        "memberships": list(
            Membership.objects.order_by("pk").values_list("user__username", "roles")
        ),
        "teams": list(Team.objects.order_by("pk").values_list("organization__slug", "key")),
        "team_members": TeamMembership.objects.count(),
        "events": AuditEvent.objects.count(),
        "decisions": Decision.objects.count(),
        "approvals": list(
            Approval.objects.order_by("pk").values_list("public_id", "status", "created_at")
        ),
        "handoffs": list(Handoff.objects.order_by("pk").values_list("public_id", "status")),
        "outcomes": Outcome.objects.count(),
        "keys": AgentKey.objects.count(),
    }


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first


def test_seed_demo_people_and_roles():
    call_command("seed_demo", stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    assert acme.name == "Acme Consulting"
    roles = {m.user.username: m.roles for m in Membership.objects.filter(organization=acme)}
    assert roles["olivia"] == ["owner"]
    assert roles["adam"] == ["author"]
    assert roles["rita"] == ["reviewer"]
    assert roles["aude"] == ["auditor"]
    assert roles["sam"] == ["member"]
    assert set(Team.objects.filter(organization=acme).values_list("key", flat=True)) == {
        "deal-desk",
        "solutions-engineering",
        "sales-leadership",
    }
    assert TeamMembership.objects.filter(
        team__key="deal-desk", team__organization=acme, user__username="sam"
    ).exists()
    globex = Organization.objects.get(slug="globex")
    assert Membership.objects.get(organization=globex, user__username="gina").roles == ["owner"]


@pytest.mark.parametrize(
    ("username", "visible", "hidden"), [("olivia", "acme", "globex"), ("gina", "globex", "acme")]
)
def test_demo_users_sign_in_and_see_only_their_organizations(username, visible, hidden):
    call_command("seed_demo", stdout=StringIO())
    client = Client()
    assert client.login(username=username, password="mandate-demo")
    assert client.get(f"/o/{visible}/").status_code == 200
    assert client.get(f"/o/{hidden}/").status_code == 404


def test_seed_demo_refuses_where_demo_data_is_not_allowed(settings):
    from django.core.management import CommandError

    settings.MANDATE_ALLOW_DEMO_DATA = False
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not Organization.objects.exists()


def test_seed_demo_human_loop():
    """The follow-up copilot's inbox items, handoffs and the record behind a recommendation."""
    call_command("seed_demo", stdout=StringIO())
    acme = Organization.objects.get(slug="acme")
    now = timezone.now()
    people = {u.username: u for u in User.objects.filter(username__in=["sam", "leo", "nina"])}

    def waiting(username):
        rows = approvals_list(organization=acme, user=people[username], status="pending", mine=True)
        return list(rows)

    deal_desk, leadership = waiting("sam"), waiting("leo")
    assert {a.team.key for a in deal_desk} == {"deal-desk"}
    assert len(deal_desk) >= 2
    assert {a.team.key for a in leadership} == {"sales-leadership"}
    assert len(leadership) >= 2
    assert any(a.due_at - now < timedelta(hours=3) for a in deal_desk)  # one nearly expired
    assert all(a.agent.key == "follow-up-copilot" and a.context["summary"] for a in deal_desk)

    decided = Approval.objects.filter(organization=acme).exclude(status="pending")
    assert set(decided.values_list("status", flat=True)) == {
        "approved",
        "edited",
        "rejected",
        "expired",
    }
    edited = decided.filter(status="edited").first()
    assert edited.final_draft
    assert edited.final_draft != edited.draft
    assert all(r.comment for r in decided.filter(status="rejected"))
    # Every decision behind them went through the check path.
    assert Approval.objects.filter(organization=acme).count() >= 30
    assert not Approval.objects.filter(
        organization=acme, decision__policy_version__isnull=True
    ).exists()

    handoffs = list(handoffs_list(organization=acme, user=people["sam"]))
    assert {h.status for h in handoffs} >= {"open", "claimed", "returned"}
    overdue = [h for h in handoffs if h.status == "open" and h.due_at < now]
    assert len(overdue) == 1
    for handoff in handoffs:
        assert {"summary", "intent_tags", "qualification", "thread", "needs_next"} <= set(
            handoff.context
        ), handoff
    returned = next(h for h in handoffs if h.status == "returned")
    assert returned.follow_up
    assert next(h for h in handoffs if h.status == "claimed").assignee == people["nina"]

    copilot = next(
        a for a in agents_trust(organization=acme, days=30) if a.agent.key == "follow-up-copilot"
    )
    (recommendation,) = copilot.recommendations
    assert recommendation.text == "move draft_proposal to autonomous"
    assert recommendation.figures.decided >= 20
    assert 0.9 <= recommendation.figures.unchanged_rate < 1
    assert recommendation.figures.executed >= 20
    week = next(
        a for a in agents_trust(organization=acme, days=7) if a.agent.key == "follow-up-copilot"
    )
    assert week.recommendations == []  # the record spans weeks, not days

    # The history is spread over the last weeks, not created at one moment.
    first = Approval.objects.filter(organization=acme).order_by("created_at").first()
    assert now - first.created_at > timedelta(days=20)
    assert Outcome.objects.filter(organization=acme, executed=False).exists()


def test_seed_demo_policy_history_is_dated_and_decisions_cite_the_version_in_force():
    """Weeks of decisions fall under the version active at their time: the first version's
    two weeks of approvals, then the second; the later proposals came after."""
    call_command("seed_demo", stdout=StringIO())
    now = timezone.now()
    versions = {
        v.number: v
        for v in PolicyVersion.objects.filter(
            organization__slug="acme", policy__key="sales-pipeline"
        )
    }
    one, two, three, four = (versions[n] for n in (1, 2, 3, 4))
    assert (one.state, two.state, three.state, four.state) == (
        "superseded",
        "active",
        "rejected",
        "in_review",
    )
    assert timedelta(weeks=5) <= now - one.activated_at <= timedelta(weeks=6)
    assert one.created_at <= one.submitted_at <= one.reviewed_at <= one.activated_at
    assert one.superseded_at == two.activated_at
    assert timedelta(days=13) <= one.superseded_at - one.activated_at <= timedelta(days=16)
    assert timedelta(weeks=3) <= now - two.activated_at <= timedelta(weeks=4)
    assert two.submitted_at <= two.reviewed_at <= two.activated_at
    assert timedelta(days=7) <= now - three.reviewed_at <= timedelta(days=14)
    assert timedelta(days=1) <= now - four.submitted_at <= timedelta(days=6)
    assert four.reviewed_at is None

    decisions = Decision.objects.filter(organization__slug="acme").select_related("policy_version")
    assert decisions.count() >= 30
    for decision in decisions:
        version = decision.policy_version
        assert version is not None
        assert version.activated_at <= decision.evaluated_at, decision.request_id
        assert version.superseded_at is None or decision.evaluated_at < version.superseded_at
    assert decisions.filter(policy_version=one).exists()
    assert decisions.filter(policy_version=two).exists()
    # Approvals and handoffs follow their decisions, within the same version's time.
    for approval in Approval.objects.filter(organization__slug="acme").select_related(
        "decision__policy_version"
    ):
        assert approval.created_at >= approval.decision.policy_version.activated_at
    for handoff in Handoff.objects.filter(organization__slug="acme").select_related(
        "decision__policy_version"
    ):
        assert handoff.created_at >= handoff.decision.policy_version.activated_at
