"""The response times and trust figures in the management API say what the pages say; the
window is one the pages offer or a clear 400; proposing autonomy from the API reads the record
again, creates one draft, and refuses a second while that draft is open."""

import pytest

from apps.agents.services import agent_create
from apps.audit.models import AuditEvent
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion
from tests.humans.trust_records import activate, record

pytestmark = pytest.mark.django_db


def api(world, path: str) -> str:
    return f"/api/v1/orgs/{world.org.slug}/{path}"


def test_response_times_per_team(figures, api_as):
    response = api_as(figures.people["member"]).get(api(figures, "handoffs/response-times/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["days"] == 30
    assert [(t["team"], t["name"]) for t in body["teams"]] == [
        ("deal-desk", "Deal Desk"),
        ("spare", "Spare"),
        (None, "No team (owners)"),
    ]
    desk = body["teams"][0]
    assert {k: desk[k] for k in ("received", "closed", "breached", "on_time_percent")} == {
        "received": 3,
        "closed": 2,
        "breached": 2,
        "on_time_percent": 33,
    }
    assert desk["time_to_claim"] == {"count": 2, "median_seconds": 450.0, "p90_seconds": 600.0}
    assert desk["time_to_close"] == {"count": 2, "median_seconds": 1560.0, "p90_seconds": 2400.0}
    assert (desk["open_now"], desk["overdue_now"]) == (1, 1)
    spare = body["teams"][1]
    assert spare["time_to_close"] == {"count": 0, "median_seconds": None, "p90_seconds": None}
    total = body["total"]  # every team together: no team of its own
    assert set(total).isdisjoint({"team", "name"})
    assert (total["received"], total["breached"], total["open_now"]) == (5, 3, 2)
    assert "Other Team" not in response.content.decode()


def test_response_times_over_another_window(figures, api_as):
    client = api_as(figures.people["member"])
    quarter = client.get(api(figures, "handoffs/response-times/?days=90")).json()
    assert quarter["days"] == 90
    assert quarter["teams"][0]["received"] == 4
    assert quarter["teams"][0]["time_to_close"]["p90_seconds"] == 5400.0


@pytest.mark.parametrize("path", ["handoffs/response-times/", "trust/"])
@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("?days=14", "Use one of 7, 30, 90."),
        ("?days=seven", "Use one of 7, 30, 90."),
        ("?days=", "Use one of 7, 30, 90."),
        ("?days=7&days=30", "Give this parameter once."),
    ],
)
def test_a_window_the_pages_do_not_offer_is_refused(world, api_as, path, query, says):
    response = api_as(world.people["owner"]).get(api(world, path + query))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"days": says}


@pytest.fixture
def evidence(world):
    version = activate(world)
    record(world, ["approved"] * 21 + ["edited"], days_ago=10, outcome=True)
    record(world, ["rejected"], action="offer_discount", days_ago=2, outcome=False)
    return version


def test_trust_figures_and_recommendation(world, api_as, evidence):
    response = api_as(world.people["auditor"]).get(api(world, "trust/"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["days"] == 30
    assert body["thresholds"] == {"min_approvals": 20, "min_unchanged_rate": 0.9}
    copilot = next(a for a in body["agents"] if a["agent"] == "copilot")
    assert (copilot["policy"], copilot["active_version"]) == ("pipeline", evidence.number)
    rows = {row["action"]: row for row in copilot["actions"]}
    proposal = rows["draft_proposal"]
    assert proposal == {
        "action": "draft_proposal",
        "mode": "approval",
        "approved_unchanged": 21,
        "edited": 1,
        "rejected": 0,
        "expired": 0,
        "pending": 1,  # the world's own, waiting
        "decided": 22,
        "unchanged_rate": pytest.approx(21 / 22),
        "executed": 22,
        "not_executed": 0,
        "recommended": True,
        "proposed_in": None,
        "note": "Recommended.",
    }
    discount = rows["offer_discount"]
    assert (discount["rejected"], discount["not_executed"], discount["recommended"]) == (
        1,
        1,
        False,
    )

    week = api_as(world.people["auditor"]).get(api(world, "trust/?days=7")).json()
    week_rows = next(a for a in week["agents"] if a["agent"] == "copilot")["actions"]
    assert {r["action"]: (r["decided"], r["pending"]) for r in week_rows} == {
        "draft_proposal": (0, 1),
        "offer_discount": (1, 0),
    }


def test_proposing_creates_one_draft_then_refuses_a_second(world, api_as, evidence):
    client = api_as(world.people["author"])
    body = {"agent": "copilot", "action": "draft_proposal", "days": 30}
    response = client.post(api(world, "trust/propose/"), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["policy"], created["state"], created["based_on"]) == (
        "pipeline",
        VersionState.DRAFT,
        evidence.number,
    )
    assert created["author"] == "author"
    assert created["document"]["actions"]["draft_proposal"]["mode"] == "autonomous"
    proposed = AuditEvent.objects.get(verb="policy_version.autonomy_proposed")
    assert proposed.after["evidence"]["approved_unchanged"] == 21

    figures = client.get(api(world, "trust/")).json()
    row = next(a for a in figures["agents"] if a["agent"] == "copilot")["actions"][0]
    assert (row["action"], row["proposed_in"]) == ("draft_proposal", created["number"])
    assert row["note"] == f"Version {created['number']} (draft) proposes it."

    again = client.post(api(world, "trust/propose/"), body, format="json")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "already_proposed"
    assert error["fields"] == {"action": f"Proposed in version {created['number']}."}
    assert PolicyVersion.objects.filter(based_on=evidence).count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code", "fields"),
    [
        ({"agent": "copilot", "action": "offer_discount"}, 409, "not_recommended", ["action"]),
        ({"agent": "copilot", "action": "no_such_action"}, 409, "not_recommended", ["action"]),
        ({"agent": "nobody", "action": "draft_proposal"}, 409, "conflict", ["agent"]),
        ({"agent": "their-agent", "action": "draft_proposal"}, 409, "conflict", ["agent"]),
        ({"agent": "copilot"}, 400, "invalid", ["action"]),
        ({"agent": 7, "action": "draft_proposal"}, 400, "invalid", ["agent"]),
        ({"agent": " copilot ", "action": "draft_proposal"}, 400, "invalid", ["agent"]),
        ({"agent": "copilot", "action": "draft_proposal", "days": 14}, 400, "invalid", ["days"]),
        ({"agent": "copilot", "action": "draft_proposal", "days": "30"}, 400, "invalid", ["days"]),
        (
            {"agent": "copilot", "action": "draft_proposal", "extra": 1},
            400,
            "invalid",
            ["extra"],
        ),
    ],
)
def test_proposals_the_record_or_the_body_do_not_support(
    world, api_as, evidence, body, status, code, fields
):
    before = PolicyVersion.objects.count()
    response = api_as(world.people["author"]).post(
        api(world, "trust/propose/"), body, format="json"
    )
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert sorted(error["fields"]) == fields
    assert PolicyVersion.objects.count() == before


def test_a_refusal_says_why_and_the_window_as_the_query_does(world, api_as, evidence):
    client = api_as(world.people["author"])
    unknown = client.post(
        api(world, "trust/propose/"), {"agent": "copilot", "action": "no_such_action"}
    ).json()["error"]
    assert unknown["fields"] == {"action": "Not recommended: not in the active version."}
    assert "(not in the active version); nothing was proposed." in unknown["message"]
    window = client.post(
        api(world, "trust/propose/"),
        {"agent": "copilot", "action": "draft_proposal", "days": 14},
        format="json",
    ).json()["error"]
    assert window["fields"] == {"days": "Use one of 7, 30, 90."}
    assert window["message"] == "The request is not valid: days: Use one of 7, 30, 90."


def test_an_agent_key_of_the_longest_kind_is_found(world, api_as, evidence):
    long_key = "a" * 64
    agent_create(organization=world.org, by=world.people["owner"], key=long_key, name="Long")
    response = api_as(world.people["author"]).post(
        api(world, "trust/propose/"),
        {"agent": long_key, "action": "draft_proposal"},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert response.json()["error"]["fields"] == {
        "action": "Not recommended: the agent follows no policy."
    }
