"""Catalogs: the default sales catalog, entries through the API, template versions."""

from apps.catalogs import defaults
from apps.catalogs.models import Action, Signal, Template


def test_new_organizations_start_with_the_sales_catalog(world):
    assert Action.objects.filter(organization=world.org).count() == len(defaults.ACTIONS)
    assert Signal.objects.filter(organization=world.org, key="human_requested").exists()


def test_changing_a_template_body_makes_a_new_version(world, api_as):
    client = api_as(world.people["author"])
    base = f"/api/v1/orgs/{world.org.slug}/catalog/templates/meeting-confirmation/"
    assert client.get(base).json()["version"] == 1
    changed = client.patch(base, {"body": "New words"}, format="json").json()
    assert changed["version"] == 2
    assert changed["body"] == "New words"
    same = client.patch(base, {"body": "New words"}, format="json").json()
    assert same["version"] == 2
    template = Template.objects.get(organization=world.org, key="meeting-confirmation")
    assert list(template.versions.values_list("number", flat=True)) == [2, 1]


def test_catalog_input_errors(world, api_as):
    client = api_as(world.people["author"])
    base = f"/api/v1/orgs/{world.org.slug}/catalog/"
    dup = client.post(base + "actions/", {"key": "send_follow_up", "label": "X"}, format="json")
    assert dup.status_code == 409
    assert "key" in dup.json()["error"]["fields"]
    bad = client.post(
        base + "actions/", {"key": "ok_key", "label": "X", "risk": "extreme"}, format="json"
    )
    assert bad.status_code == 400
    assert "risk" in bad.json()["error"]["fields"]
    empty = client.post(base + "templates/", {"key": "t", "label": "T", "body": ""}, format="json")
    assert empty.status_code == 400
    assert "body" in empty.json()["error"]["fields"]


def test_keys_never_change_and_unknown_fields_are_refused(world, api_as):
    client = api_as(world.people["author"])
    response = client.patch(
        f"/api/v1/orgs/{world.org.slug}/catalog/signals/buying_intent/", {"key": "renamed"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"key": "Unknown field."}
