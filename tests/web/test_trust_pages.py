"""The trust page: figures per agent and action, the recommendation with its evidence, the
button only for authors (and checked on the server), the draft it creates, and the outcome
badge in the decision log."""

import re

import pytest

from apps.agents.services import agent_create
from apps.humans.models import Outcome
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion
from tests.humans.trust_records import activate, record

pytestmark = pytest.mark.django_db

BUTTON = "Propose as a draft version"


@pytest.fixture
def evidence(world):
    """An active version with draft_proposal on approval, and 21 of 22 drafts approved
    unchanged by the deal desk within the last two weeks."""
    version = activate(world)
    record(world, ["approved"] * 21 + ["edited"], days_ago=10, outcome=True)
    record(world, ["rejected"], action="offer_discount", days_ago=2, outcome=False)
    return version


def url(world, days=None):
    return f"/o/{world.org.slug}/trust/" + (f"?days={days}" if days else "")


def propose(client, world, action="draft_proposal", days="30", agent="copilot"):
    return client.post(url(world), {"agent": agent, "action": action, "days": days})


def test_the_page_shows_figures_and_the_recommendation(world, client, evidence):
    client.force_login(world.people["author"])
    page = client.get(url(world)).content.decode()
    assert "Recommendation: move <code>draft_proposal</code> to autonomous" in page
    assert "21 of the 22 approvals decided in the last 30 days went out unchanged" in page
    assert "<strong>95%</strong>" in page
    assert BUTTON in page
    assert 'value="draft_proposal"' in page
    # Each action's row: its mode now, the bar, and why it is or is not recommended.
    assert '<span class="mode mode-autonomous">autonomous</span>' in page
    assert "Already autonomous: approvals come from its threshold" in page
    assert page.count('<progress class="seg seg-') == 4 * 2
    assert '<meter class="trust-rate"' in page
    # Nothing inline: the page keeps the strict CSP.
    assert "style=" not in page
    assert "<script>" not in page


def test_readers_without_authoring_see_no_button(world, client, evidence):
    for role in ("auditor", "reviewer"):
        client.force_login(world.people[role])
        page = client.get(url(world)).content.decode()
        assert "move <code>draft_proposal</code> to autonomous" in page
        assert BUTTON not in page
        assert "An author can propose this as a draft." in page
        assert propose(client, world).status_code == 403
    assert PolicyVersion.objects.filter(state=VersionState.DRAFT, based_on=evidence).count() == 0


def test_members_may_not_read_it(world, client, evidence):
    client.force_login(world.people["member"])
    assert client.get(url(world)).status_code == 403
    assert "/trust/" not in client.get(f"/o/{world.org.slug}/").content.decode()


def test_one_click_creates_the_draft_and_opens_it(world, client, evidence):
    client.force_login(world.people["author"])
    response = propose(client, world)
    draft = PolicyVersion.objects.get(policy=evidence.policy, based_on=evidence)
    assert response.status_code == 302
    assert response["Location"] == (f"/o/{world.org.slug}/policies/pipeline/v/{draft.number}/")
    assert draft.state == VersionState.DRAFT
    assert draft.document["actions"]["draft_proposal"]["mode"] == "autonomous"
    page = client.get(response["Location"]).content.decode()
    assert f"Draft version {draft.number} makes draft_proposal autonomous" in page
    assert "draft_proposal: mode approval → autonomous" in page
    # Back on the trust page, the recommendation points at the draft instead.
    page = client.get(url(world)).content.decode()
    assert BUTTON not in page
    assert f"Version {draft.number} (draft) proposes it" in page


@pytest.mark.parametrize(
    ("post", "why"),
    [
        ({"action": "offer_discount"}, "not recommended: already autonomous"),
        ({"action": "draft_proposal", "days": "7"}, "the evidence is older than 7 days"),
        ({"agent": "nobody"}, "no such agent"),
        ({"agent": "their-agent"}, "another organization's agent"),
    ],
)
def test_the_server_refuses_what_the_record_does_not_support(world, client, evidence, post, why):
    client.force_login(world.people["owner"])
    before = PolicyVersion.objects.count()
    response = propose(client, world, **post)
    assert response.status_code == 302, why
    assert response["Location"].startswith(url(world))
    page = client.get(response["Location"]).content.decode()
    assert "nothing was proposed" in page
    assert PolicyVersion.objects.count() == before


def test_windows(world, client, evidence):
    client.force_login(world.people["auditor"])
    week = client.get(url(world, 7)).content.decode()
    assert "move <code>draft_proposal</code> to autonomous" not in week
    assert re.search(r'href="\?days=7" class="active" aria-current="page"', week)
    assert "offer_discount" in week  # rejected two days ago
    assert "No approvals and no reported outcomes in the last 7 days." not in week
    quarter = client.get(url(world, 90)).content.decode()
    assert "in the last 90 days" in quarter


def test_an_agent_without_a_record(world, client):
    agent_create(organization=world.org, by=world.people["owner"], key="quiet", name="Quiet one")
    client.force_login(world.people["owner"])
    page = client.get(url(world, 7)).content.decode()
    assert 'data-testid="trust-quiet"' in page
    assert "No approvals and no reported outcomes in the last 7 days." in page
    assert "Governed by no policy" in page


def test_the_decision_log_shows_reported_outcomes(world, client, evidence):
    client.force_login(world.people["auditor"])
    page = client.get(f"/o/{world.org.slug}/decisions/").content.decode()
    assert (
        page.count('class="outcome outcome-executed"')
        == Outcome.objects.filter(executed=True, organization=world.org).count()
    )
    assert ">executed: sent</span>" in page
    assert ">not executed: not sent</span>" in page


def test_a_second_click_proposes_nothing_twice(world, client, evidence):
    client.force_login(world.people["author"])
    propose(client, world)  # from the page, then again from a stale copy of it
    response = propose(client, world)
    draft = PolicyVersion.objects.get(policy=evidence.policy, based_on=evidence)
    page = client.get(response["Location"]).content.decode()
    assert f"Version {draft.number} already makes draft_proposal autonomous" in page
    assert "nothing was proposed" in page
