"""The policy endpoints of the management API, the commands, and the demo policy."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.policies import document
from apps.policies.models import Policy, PolicyVersion

EXAMPLE = Path(document.__file__).parent / "examples" / "sales-pipeline.yaml"


def url(world, rest=""):
    return f"/api/v1/orgs/{world.org.slug}/policies/{rest}"


def test_version_representation(world, api_as):
    body = api_as(world.people["auditor"]).get(url(world, "pipeline/versions/3/")).json()
    assert body["number"] == 3
    assert body["state"] == "approved"
    assert body["author"] == "author"
    assert body["reviewer"] == "reviewer"
    assert body["contributors"] == ["author"]
    assert len(body["content_hash"]) == 64
    assert body["document"]["actions"]["offer_discount"]["limits"] == {"discount_pct": 5}


def test_versions_are_listed_newest_first(world, api_as):
    body = api_as(world.people["member"]).get(url(world, "pipeline/versions/")).json()
    assert [v["number"] for v in body["results"]] == [3, 2, 1]
    assert "document" not in body["results"][0]


def test_transition_from_wrong_state_is_409_with_the_state(world, api_as):
    response = api_as(world.people["reviewer"]).post(url(world, "pipeline/versions/1/approve/"), {})
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"state": "draft"}
    assert response.json()["error"]["code"] == "invalid_state"


def test_self_approval_is_403(world, api_as):
    from apps.organizations.models import Membership
    from apps.organizations.services import membership_set_roles

    membership = Membership.objects.get(organization=world.org, user=world.people["author"])
    membership_set_roles(
        membership=membership, by=world.people["owner"], roles=["author", "reviewer"]
    )
    response = api_as(world.people["author"]).post(url(world, "pipeline/versions/2/approve/"), {})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "own_version"


def test_editing_a_submitted_version_is_409(world, api_as):
    response = api_as(world.people["author"]).patch(
        url(world, "pipeline/versions/2/"), {"document": {"format": 1, "name": "x"}}, format="json"
    )
    assert response.status_code == 409


def test_invalid_document_names_every_problem_by_path(world, api_as):
    response = api_as(world.people["author"]).patch(
        url(world, "pipeline/versions/1/"),
        {
            "document": {
                "format": 1,
                "name": "x",
                "actions": {
                    "offer_discount": {"mode": "autonomous", "limits": {"discount_pct": -1}},
                    "send_follow_up": {"mode": "maybe"},
                },
            }
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["document.actions.offer_discount.limits.discount_pct"] == "must be a number ≥ 0"
    assert "document.actions.send_follow_up.mode" in fields


def test_publish_then_diff_and_export(world, api_as):
    reviewer = api_as(world.people["reviewer"])
    assert (
        reviewer.post(url(world, "pipeline/versions/3/publish/"), {}, format="json").json()["state"]
        == "active"
    )
    author = api_as(world.people["author"])
    draft = author.post(url(world, "pipeline/versions/"), {}, format="json").json()
    doc = draft["document"]
    doc["actions"]["offer_discount"]["limits"]["discount_pct"] = 10
    author.patch(
        url(world, f"pipeline/versions/{draft['number']}/"), {"document": doc}, format="json"
    )
    diff = reviewer.get(url(world, f"pipeline/versions/{draft['number']}/diff/")).json()
    assert diff["against"] == 3
    assert [c["text"] for c in diff["changes"]] == ["offer_discount: limit discount_pct 5 → 10"]
    exported = reviewer.get(url(world, "pipeline/versions/3/export/?format=yaml"))
    assert exported["Content-Type"].startswith("application/yaml")
    assert "limits: {discount_pct: 5}" in exported.content.decode()
    assert reviewer.get(url(world, "pipeline/versions/3/export/?format=xml")).status_code == 400
    assert reviewer.get(url(world, "pipeline/versions/3/diff/?against=x")).status_code == 400
    assert reviewer.get(url(world, "pipeline/versions/3/diff/?against=99")).status_code == 404


def test_import_through_the_api_round_trips(world, api_as):
    author = api_as(world.people["author"])
    exported = author.get(url(world, "pipeline/versions/3/export/?format=yaml")).content.decode()
    created = author.post(
        url(world, "pipeline/versions/"), {"text": exported, "format": "yaml"}, format="json"
    )
    assert created.status_code == 201
    again = author.get(
        url(world, f"pipeline/versions/{created.json()['number']}/export/?format=yaml")
    )
    assert again.content.decode() == exported
    broken = author.post(
        url(world, "pipeline/versions/"), {"text": "a: [", "format": "yaml"}, format="json"
    )
    assert broken.status_code == 400
    assert "is not valid YAML" in broken.json()["error"]["fields"]["document"]
    both = author.post(
        url(world, "pipeline/versions/"), {"text": "x", "based_on": 1}, format="json"
    )
    assert both.status_code == 400


def test_rollback_through_the_api(world, api_as):
    author = api_as(world.people["author"])
    response = author.post(url(world, "pipeline/versions/"), {"based_on": 2}, format="json")
    assert response.status_code == 201
    assert response.json()["based_on"] == 2
    assert (
        author.post(url(world, "pipeline/versions/"), {"based_on": 42}, format="json").status_code
        == 409
    )


def test_policy_create_validation(world, api_as):
    author = api_as(world.people["author"])
    assert (
        author.post(url(world), {"key": "pipeline", "name": "Again"}, format="json").status_code
        == 409
    )
    assert (
        author.post(url(world), {"key": "Bad Key", "name": "X"}, format="json").status_code == 400
    )
    ok = author.post(url(world), {"key": "marketing", "name": "Marketing agents"}, format="json")
    assert ok.status_code == 201
    assert ok.json()["active_version"] is None


def test_format_schema_is_served(client):
    response = client.get("/api/v1/policy-format.schema.json")
    assert response.status_code == 200
    assert response.json() == document.format_schema()


def test_commands_round_trip(world, tmp_path):
    out = StringIO()
    call_command("export_policy", world.org.slug, "pipeline", "--version", "3", stdout=out)
    path = tmp_path / "export.yaml"
    path.write_text(out.getvalue())
    number = StringIO()
    call_command(
        "import_policy",
        world.org.slug,
        "pipeline",
        str(path),
        "--as",
        "author",
        stdout=number,
        stderr=StringIO(),
    )
    again = StringIO()
    call_command(
        "export_policy",
        world.org.slug,
        "pipeline",
        "--version",
        number.getvalue().strip(),
        stdout=again,
    )
    assert again.getvalue() == out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", str(EXAMPLE), "--as", "author"], "No policy"),
        (["pipeline", str(EXAMPLE), "--as", "author"], "not valid"),
        (["pipeline", "/no/such/file.yaml", "--as", "author"], "No such file"),
        (["pipeline", str(EXAMPLE), "--as", "auditor"], "may not author"),
        (["pipeline", str(EXAMPLE), "--as", "outsider"], "not a member"),
    ],
)
def test_import_command_errors(world, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_policy", world.org.slug, *args, stdout=StringIO(), stderr=StringIO())


def test_import_errors_name_paths_as_the_format_does(world):
    with pytest.raises(CommandError) as error:
        call_command(
            "import_policy",
            world.org.slug,
            "pipeline",
            str(EXAMPLE),
            "--as",
            "author",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert "  actions.log_call_notes: 'log_call_notes'" not in str(error.value)
    assert "\n  decision_rights.solutions-engineering: " in str(error.value)


def test_the_format_example_imports_into_acme_exactly_as_written(db):
    call_command("seed_demo", stdout=StringIO())
    number = StringIO()
    call_command(
        "import_policy",
        "acme",
        "sales-pipeline",
        str(EXAMPLE),
        "--as",
        "adam",
        stdout=number,
        stderr=StringIO(),
    )
    version = PolicyVersion.objects.get(policy__key="sales-pipeline", number=int(number.getvalue()))
    assert version.document == document.canonical(document.parse(EXAMPLE.read_text()))


def test_demo_policy_history(db):
    call_command("seed_demo", stdout=StringIO())
    policy = Policy.objects.get(organization__slug="acme", key="sales-pipeline")
    states = dict(policy.versions.values_list("number", "state"))
    assert states == {1: "superseded", 2: "active", 3: "rejected", 4: "in_review"}
    first, active = policy.versions.get(number=1), policy.versions.get(number=2)
    assert all(a["mode"] != "autonomous" for a in first.document["actions"].values())
    assert active.document["actions"]["send_follow_up"]["mode"] == "autonomous"
    assert active.reviewed_by.username == "rita"
    assert active.author.username == "adam"
    # Written from the version in force, as in the editor: no "moved on" warning on review.
    based_on = dict(policy.versions.values_list("number", "based_on__number"))
    assert based_on == {1: None, 2: 1, 3: 2, 4: 2}
