"""The inbox in the management API: approve/, edit/, reject/ on an approval and resolve/,
hand-back/ on a handoff — what each answers, what each refuses and why, and that a second
decision is told it came too late."""

import pytest

from apps.audit.models import AuditEvent
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db


def _url(world, kind: str, public_id: str, step: str) -> str:
    return f"/api/v1/orgs/{world.org.slug}/{kind}/{public_id}/{step}/"


@pytest.mark.parametrize(
    ("step", "body", "status"),
    [
        ("approve", {}, "approved"),
        ("approve", {"comment": "Good to go."}, "approved"),
        ("edit", {"final_draft": {"kind": "email", "body": "Dear Priya, shorter."}}, "edited"),
        ("reject", {"comment": "Not before the pricing call."}, "rejected"),
    ],
)
def test_each_verdict_has_its_path(world, api_as, approval, step, body, status):
    response = api_as(world.people["member"]).post(
        _url(world, "approvals", approval.public_id, step), body, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    approval.refresh_from_db()
    assert approval.status == status
    assert approval.decided_by == world.people["member"]
    assert AuditEvent.objects.filter(organization=world.org, verb=f"approval.{status}").count() == 1


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("reject", {}, "comment"),
        ("reject", {"comment": "   "}, "comment"),
        ("edit", {}, "final_draft"),
        ("edit", {"final_draft": {}}, "final_draft"),
        ("edit", {"final_draft": "send it"}, "final_draft"),
        ("approve", {"verdict": "approve"}, "verdict"),  # an unknown field is named
        ("approve", {"comment": 7}, "comment"),
    ],
)
def test_a_bad_body_names_its_field_and_decides_nothing(world, api_as, approval, step, body, field):
    response = api_as(world.people["member"]).post(
        _url(world, "approvals", approval.public_id, step), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_an_edit_that_changes_nothing_is_refused(world, api_as, approval):
    response = api_as(world.people["member"]).post(
        _url(world, "approvals", approval.public_id, "edit"),
        {"final_draft": approval.draft},
        format="json",
    )
    assert response.status_code == 409, response.content
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_the_second_decision_is_told_it_came_too_late(world, api_as, approval):
    member = api_as(world.people["member"])
    assert member.post(_url(world, "approvals", approval.public_id, "approve")).status_code == 200
    late = api_as(world.people["owner"]).post(
        _url(world, "approvals", approval.public_id, "reject"), {"comment": "No."}, format="json"
    )
    assert late.status_code == 409
    assert late.json()["error"]["fields"]["status"] == "approved"


def test_decision_rights_hold_in_the_api(world, api_as, approval):
    outsider = make_member(world.org, ["member"], UserFactory(username="not-in-team"))
    response = api_as(outsider).post(_url(world, "approvals", approval.public_id, "approve"))
    assert response.status_code == 403
    missing = api_as(world.people["member"]).post(_url(world, "approvals", "apr_nope", "approve"))
    assert missing.status_code == 404
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_a_handoff_is_resolved(world, api_as, handoff):
    member = api_as(world.people["member"])
    response = member.post(
        _url(world, "handoffs", handoff.public_id, "resolve"),
        {"resolution": "Called; quote sent."},
        format="json",
    )
    assert response.status_code == 200, response.content
    handoff.refresh_from_db()
    assert (handoff.status, handoff.resolution) == ("resolved", "Called; quote sent.")
    assert handoff.assignee == world.people["member"]  # closing unclaimed claims it
    again = member.post(
        _url(world, "handoffs", handoff.public_id, "hand-back"), {"follow_up": "x"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["fields"]["status"] == "resolved"


def test_a_handoff_is_handed_back_with_its_follow_up(world, api_as, handoff):
    response = api_as(world.people["member"]).post(
        _url(world, "handoffs", handoff.public_id, "hand-back"),
        {"follow_up": "Send the 40-seat quote on Friday.", "resolution": "Agreed on price."},
        format="json",
    )
    assert response.status_code == 200, response.content
    handoff.refresh_from_db()
    assert handoff.status == "returned"
    assert handoff.follow_up == "Send the 40-seat quote on Friday."


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("resolve", {}, "resolution"),
        ("resolve", {"resolution": " \n "}, "resolution"),
        ("hand-back", {"resolution": "Done"}, "follow_up"),
        ("hand-back", {"follow_up": ""}, "follow_up"),
    ],
)
def test_closing_needs_words(world, api_as, handoff, step, body, field):
    response = api_as(world.people["member"]).post(
        _url(world, "handoffs", handoff.public_id, step), body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    handoff.refresh_from_db()
    assert handoff.status == "open"
