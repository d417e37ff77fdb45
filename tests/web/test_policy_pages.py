"""The policy pages: the editor round-trips a document, shows errors next to their field and
saves nothing invalid; reviews and publication through the pages."""

import html
from html.parser import HTMLParser

import pytest

from apps.audit.models import AuditEvent
from apps.policies import services
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion
from apps.policies.services import policy_version_create, policy_version_edit
from tests.conftest import SIMPLE_DOCUMENT


def page(world, rest):
    return f"/o/{world.org.slug}/policies/pipeline/{rest}"


def editor_post(client, world, number, data):
    return client.post(page(world, f"v/{number}/edit/"), data)


def form_of(version) -> dict:
    """The editor's fields for a version, as the browser would post them unchanged."""
    doc = version.document
    data = {"name": doc["name"], "description": doc.get("description", "")}
    for key, value in (doc.get("defaults") or {}).items():
        data[f"defaults-{key}"] = str(value)
    for key, spec in doc["actions"].items():
        data[f"action-{key}-mode"] = spec["mode"]
        if "min_confidence" in spec:
            data[f"action-{key}-min_confidence"] = str(spec["min_confidence"])
        for name in ("approver_team", "route_to_team"):
            if name in spec:
                data[f"action-{key}-{name}"] = spec[name]
        if "limits" in spec:
            data[f"action-{key}-limits"] = ", ".join(f"{k}={v}" for k, v in spec["limits"].items())
        for name in ("templates", "data"):
            if name in spec:
                data[f"action-{key}-restrict_{name}"] = "1"
                data[f"action-{key}-{name}"] = spec[name]
        for name in ("channels", "fields"):
            if name in spec:
                data[f"action-{key}-restrict_{name}"] = "1"
                data[f"action-{key}-{name}"] = ", ".join(spec[name])
    for key, spec in (doc.get("triggers") or {}).items():
        data[f"trigger-{key}-on"] = "1"
        data[f"trigger-{key}-route_to_team"] = spec["route_to_team"]
        if "respond_within_minutes" in spec:
            data[f"trigger-{key}-respond_within_minutes"] = str(spec["respond_within_minutes"])
    return data


class FormReader(HTMLParser):
    """What a browser would submit for the editor form, read from the rendered page."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data.append((a["name"], a.get("value", "on")))
            else:
                self.data.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.data.append((self._textarea, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, text):
        if self._textarea:
            name, value = self.data[-1]
            self.data[-1] = (name, value + text)


def rendered_form(client, url) -> dict:
    reader = FormReader()
    reader.feed(client.get(url).content.decode())
    form: dict[str, list[str]] = {}
    for name, value in reader.data:
        form.setdefault(name, []).append(html.unescape(value))
    form.pop("csrfmiddlewaretoken", None)
    return {k: v if len(v) > 1 else v[0] for k, v in form.items()}


TRICKY = {
    "format": 1,
    "name": "Tricky",
    "actions": {
        "send_follow_up": {
            "mode": "autonomous",
            "channels": [],
            "templates": ["proposal-retainer", "check-in-after-proposal"],
            "data": [],
            "fields": [],
        },
        "draft_proposal": {"mode": "approval", "approver_team": "deal-desk"},
    },
    "data": {"never": ["payment_card", "health"]},
    "decision_rights": {"deal-desk": ["pricing"]},
}


def test_posting_the_rendered_editor_back_changes_nothing(world, client):
    """Empty allow-lists (nothing allowed) and the document's order survive a save."""

    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    policy_version_edit(version=draft, by=world.people["author"], document=TRICKY)
    draft.refresh_from_db()
    before = draft.document_text
    client.force_login(world.people["author"])
    url = page(world, "v/1/edit/")
    response = client.post(url, rendered_form(client, url))
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.document_text == before


def test_saving_the_editor_unchanged_changes_nothing(world, client):
    client.force_login(world.people["author"])
    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    before = draft.document_text
    response = editor_post(client, world, 1, form_of(draft))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.document_text == before


def test_editor_changes_become_the_document(world, client):
    client.force_login(world.people["author"])
    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    data = form_of(draft)
    data["action-offer_discount-limits"] = "discount_pct=10, deal_value=50000"
    data["action-negotiate_terms-mode"] = "forbidden"
    data["data-never"] = ["payment_card", "health"]
    data["rights-deal-desk"] = "pricing, discounts"
    assert editor_post(client, world, 1, data).status_code == 302
    doc = PolicyVersion.objects.get(pk=draft.pk).document
    assert doc["actions"]["offer_discount"]["limits"] == {"discount_pct": 10, "deal_value": 50000}
    assert doc["actions"]["negotiate_terms"] == {"mode": "forbidden"}
    assert doc["data"] == {"never": ["payment_card", "health"]}
    assert doc["decision_rights"] == {"deal-desk": ["pricing", "discounts"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action-offer_discount-limits", "discount_pct=-3", "must be a number ≥ 0"),
        ("action-offer_discount-limits", "lots", "write limits as name=number"),
        ("action-send_follow_up-min_confidence", "1.7", "from 0 to 1"),
        ("action-send_follow_up-min_confidence", "high", "must be a number"),
        ("action-quote_price-mode", "escalate", "required when mode is escalate"),
        ("defaults-approval_expires_after_hours", "soon", "must be a whole number"),
        ("trigger-pricing_question-respond_within_minutes", "0", "minutes from 1"),
        ("action-send_follow_up-channels", "E Mail", "must be a key"),
        ("name", "", "must be a name"),
    ],
)
def test_editor_errors_are_shown_next_to_the_field_and_nothing_is_saved(
    world, client, field, value, message
):
    client.force_login(world.people["author"])
    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    before = draft.document_text
    data = form_of(draft)
    data[field] = value
    if field.endswith("-channels"):
        data[field.replace("-channels", "-restrict_channels")] = "1"
    response = editor_post(client, world, 1, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert message in html
    draft.refresh_from_db()
    assert draft.document_text == before


def test_editor_is_only_for_drafts(world, client):
    client.force_login(world.people["author"])
    response = client.get(page(world, "v/2/edit/"))
    assert response.status_code == 302
    refused = client.post(page(world, "v/2/edit/"), {"name": "x"}, follow=True)
    assert "only draft versions can be edited" in refused.content.decode()
    assert (
        PolicyVersion.objects.get(policy__key="pipeline", number=2).state == VersionState.IN_REVIEW
    )


def test_review_page_shows_the_diff_and_hides_approval_from_the_author(world, client):
    client.force_login(world.people["reviewer"])
    html = client.get(page(world, "v/2/?against=1")).content.decode()
    assert "Approve" in html
    assert "Reject" in html
    client.force_login(world.people["author"])
    html = client.get(page(world, "v/2/")).content.decode()
    assert "Approve" not in html


def test_review_and_publish_through_the_pages(world, client):
    client.force_login(world.people["reviewer"])
    target = PolicyVersion.objects.get(policy__key="pipeline", number=2)
    response = client.post(
        page(world, "v/2/approve/"), {"comment": "Fine", "content_hash": target.content_hash}
    )
    assert response.status_code == 302
    client.post(page(world, "v/2/publish/"), {"effective_at": ""})
    assert PolicyVersion.objects.get(pk=target.pk).state == VersionState.ACTIVE
    stale = client.post(page(world, "v/3/publish/"), {"effective_at": "not a date"}, follow=True)
    assert "The time is not valid" in stale.content.decode()


def test_reject_without_comment_is_refused(world, client):
    client.force_login(world.people["reviewer"])
    response = client.post(page(world, "v/2/reject/"), {"comment": ""}, follow=True)
    assert "Say why" in response.content.decode()
    assert (
        PolicyVersion.objects.get(policy__key="pipeline", number=2).state == VersionState.IN_REVIEW
    )


def test_import_page_errors(world, client):
    client.force_login(world.people["author"])
    count = PolicyVersion.objects.count()
    response = client.post(
        page(world, "import/"),
        {"text": "format: 1\nname: X\nactions: {fly: {mode: autonomous}}", "format": "yaml"},
    )
    assert response.status_code == 400
    assert "not an action" in response.content.decode()
    assert PolicyVersion.objects.count() == count


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"catalog": "actions", "key": "Bad Key", "label": "X"}, "Use lowercase letters"),
        ({"catalog": "actions", "key": "send_follow_up", "label": "X"}, "Already in the catalog"),
        ({"catalog": "signals", "key": "ok", "label": ""}, "This field is required"),
        ({"catalog": "templates", "key": "t", "label": "T", "body": ""}, "A template needs a body"),
    ],
)
def test_catalog_form_errors_save_nothing(world, client, data, message):

    client.force_login(world.people["author"])
    before = AuditEvent.objects.count()
    response = client.post(f"/o/{world.org.slug}/catalog/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_template_edit_makes_a_version(world, client):
    client.force_login(world.people["author"])
    url = f"/o/{world.org.slug}/catalog/templates/status-update/"
    response = client.post(url, {"label": "Status update", "subject": "S", "body": "New"})
    assert response.status_code == 302
    assert "v2" in client.get(url).content.decode()
    assert (
        client.post(url, {"label": "Status update", "subject": "S", "body": ""}).status_code == 400
    )


def test_saving_a_template_unchanged_keeps_its_version(world, client):
    client.force_login(world.people["author"])
    url = f"/o/{world.org.slug}/catalog/templates/status-update/"
    form = rendered_form(client, url)
    form["body"] = form["body"].replace("\n", "\r\n")  # as browsers send it
    assert client.post(url, form).status_code == 302
    assert "version 1" in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"trigger-buying_intent-route_to_team": "deal-desk"}, "tick On"),
        ({"trigger-buying_intent-on": "1"}, "choose the team"),
    ],
)
def test_half_set_triggers_are_errors_not_silently_dropped(world, client, fields, message):
    client.force_login(world.people["author"])
    draft = PolicyVersion.objects.get(policy__key="pipeline", number=1)
    response = editor_post(client, world, 1, {**form_of(draft), **fields})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_history_compares_each_version_with_its_source(world, client):

    policy = PolicyVersion.objects.get(policy__key="pipeline", number=1).policy

    policy_version_create(
        policy=policy,
        by=world.people["author"],
        document=dict(SIMPLE_DOCUMENT, name="Renamed"),
        based_on=PolicyVersion.objects.get(policy=policy, number=1),
    )
    client.force_login(world.people["author"])
    html = client.get(f"/o/{world.org.slug}/policies/pipeline/").content.decode()
    assert '/v/4/?against=1">version 1</a>' in html
    assert "name: “Pipeline” → “Renamed”" in html


def test_history_is_a_timeline_of_every_version_with_its_diff(world, client):
    """Every version, newest first, with who moved it through its life and when, its hash,
    what it changed from its predecessor, and a link to the decisions it made; read-only for
    an auditor."""

    author, reviewer = world.people["author"], world.people["reviewer"]
    v3 = PolicyVersion.objects.get(policy__key="pipeline", number=3)
    services.policy_version_publish(version=v3, by=reviewer)
    changed = dict(SIMPLE_DOCUMENT, defaults={"min_confidence": 0.9})
    v4 = services.policy_version_create(policy=v3.policy, by=author, document=changed, based_on=v3)
    services.policy_version_submit(version=v4, by=author)
    services.policy_version_approve(version=v4, by=reviewer, comment="Stricter is fine")
    services.policy_version_publish(version=v4, by=reviewer)

    client.force_login(world.people["auditor"])
    response = client.get(page(world, ""))
    assert response.status_code == 200
    body = response.content.decode()
    versions = response.context["versions"]
    assert [v.number for v in versions] == [4, 3, 2, 1]
    assert [v.compared_with.number if v.compared_with else None for v in versions] == [
        3,
        2,
        1,
        None,
    ]
    assert [c.text for c in versions[0].changes] == ["defaults: min_confidence 0.8 → 0.9"]
    assert versions[2].changes == []  # v2 repeats v1
    assert any(c.text.startswith("send_follow_up: added") for c in versions[3].changes)
    # In the page, in that order, each with its own diff.
    positions = [body.index(f'data-testid="version-{n}"') for n in (4, 3, 2, 1)]
    assert positions == sorted(positions)
    v4_item = body[positions[0] : positions[1]]
    assert "defaults: min_confidence 0.8 → 0.9" in v4_item
    assert f'Changes from <a href="/o/{world.org.slug}/policies/pipeline/v/4/?against=3"' in v4_item
    assert "Written</span> by <strong>author</strong>" in v4_item
    assert "Submitted</span> by <strong>author</strong>" in v4_item
    assert "Approved</span> by <strong>reviewer</strong>" in v4_item
    assert "“Stricter is fine”" in v4_item
    assert "Published</span> by <strong>reviewer</strong>" in v4_item
    assert v4.content_hash[:12] in v4_item
    v3_item = body[positions[1] : positions[2]]
    assert "Superseded</span>" in v3_item
    assert "No differences." in body[positions[2] : positions[3]]
    for n in (4, 3, 2, 1):
        assert f'href="/o/{world.org.slug}/evidence/versions/pipeline/{n}/"' in body
    # An auditor reads; nothing here writes.
    assert "<form" not in body.split('data-testid="history"')[1]
    assert "New draft" not in body
    assert "Import YAML" not in body


def test_history_of_another_organizations_policy_is_404(world, client):
    client.force_login(world.people["auditor"])
    assert client.get(f"/o/{world.org.slug}/policies/other-policy/").status_code == 404
    client.force_login(world.stranger)
    assert client.get(page(world, "")).status_code == 404
