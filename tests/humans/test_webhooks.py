"""Outbound webhooks: events in the outbox in the change's transaction, Standard Webhooks
signatures a receiver verifies, Slack bodies, destinations refused when they resolve to an
internal address (when registered and on each delivery), attempts and backoff, redelivery,
and the management API."""

import json
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, ValidationFailed
from apps.humans import services, webhooks
from apps.humans.constants import WebhookStatus
from apps.humans.models import Approval, Handoff, WebhookEndpoint, WebhookMessage
from apps.policies import services as policy_services
from apps.policies.models import PolicyVersion
from tests.factories import submit_approval, submit_handoff
from tests.humans.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "approval.created",
    "approval.resolved",
    "handoff.created",
    "handoff.overdue",
    "policy_version.published",
]


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def inline_tasks(monkeypatch):
    """Celery tasks run in the test's process when their transaction commits."""
    from apps.humans import tasks

    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *a: tasks.deliver_webhook(*a))
    monkeypatch.setattr(tasks.send_notification, "delay", lambda *a: tasks.send_notification(*a))


@pytest.fixture
def private_ok(settings):
    settings.MANDATE_WEBHOOKS_ALLOW_PRIVATE = True
    settings.MANDATE_WEBHOOK_BACKOFF_SECONDS = 10


def endpoint_for(world, url, events=None, fmt="standard"):
    return services.webhook_endpoint_create(
        organization=world.org,
        by=world.people["owner"],
        url=url,
        events=events or ALL_EVENTS,
        format=fmt,
    )


# ---- signatures ---------------------------------------------------------------------------


def test_signature_matches_the_standard_webhooks_example():
    # The example of the Standard Webhooks specification and its reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signed = webhooks.signature(
        secret,
        msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body='{"test": 2432232314}',
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_new_secrets_have_the_standard_form():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_")
    assert len(webhooks.base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert secret != webhooks.new_secret()


def test_a_delivery_verifies_with_the_standard_webhooks_library(
    world, receiver, private_ok, inline_tasks, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(world, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        approval = submit_approval(world)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == "approval.created"
    data = payload["data"]["approval"]
    assert data["id"] == approval.public_id
    assert data["url"].endswith(f"/o/{world.org.slug}/inbox/approvals/{approval.public_id}/")
    assert (data["agent"], data["action"], data["team"], data["status"]) == (
        "copilot",
        "offer_discount",
        "deal-desk",
        "pending",
    )
    assert data["due_at"].endswith("Z")
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert got.headers["webhook-id"] == message.public_id
    assert message.public_id.startswith("msg_")
    assert message.status == WebhookStatus.DELIVERED
    assert message.attempts == 1
    assert message.last_status_code == 200
    # A tampered body, or another secret, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(got.body.replace("pending", "approved"), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(got.body, got.headers)


def test_after_rotation_both_secrets_verify_until_the_overlap_ends(
    world, receiver, private_ok, inline_tasks, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(world, receiver.url)
    old = endpoint.secret
    rotated = services.webhook_endpoint_rotate_secret(endpoint=endpoint, by=world.people["owner"])
    assert rotated.secret != old
    with django_capture_on_commit_callbacks(execute=True):
        submit_approval(world)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(rotated.secret).verify(got.body, got.headers)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_until=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit_handoff(world)
    got = receiver.received[-1]
    Webhook(rotated.secret).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)
    event = AuditEvent.objects.get(verb="webhook_endpoint.secret_rotated")
    assert old not in json.dumps(event.after)
    assert rotated.secret not in json.dumps(event.after)


def test_slack_endpoints_get_an_incoming_webhook_message_with_a_link(
    world, receiver, private_ok, inline_tasks, django_capture_on_commit_callbacks
):
    endpoint_for(world, receiver.url, events=["handoff.created"], fmt="slack")
    with django_capture_on_commit_callbacks(execute=True):
        handoff = submit_handoff(world)
    body = json.loads(receiver.received[0].body)
    link = f"/o/{world.org.slug}/inbox/handoffs/{handoff.public_id}/"
    assert set(body) == {"text", "blocks"}
    assert link in body["text"]
    section = body["blocks"][0]
    assert section["type"] == "section"
    assert section["text"]["type"] == "mrkdwn"
    assert f"{link}|Open in Mandate>" in section["text"]["text"]
    assert "quote_price" in section["text"]["text"]


def test_slack_text_is_escaped():
    message = webhooks.slack_message(
        {
            "type": "approval.created",
            "data": {"approval": {"action": "a<b>&c", "agent": "x", "url": "https://s/"}},
        }
    )
    assert "a&lt;b&gt;&amp;c" in message["blocks"][0]["text"]["text"]


def test_slack_tells_a_repeated_overdue_notice_and_who_holds_the_handoff():
    handoff = {"action": "quote_price", "agent": "x", "status": "claimed", "assignee": "dana"}
    message = webhooks.slack_message(
        {
            "type": "handoff.overdue",
            "data": {"handoff": handoff, "overdue": {"notice": 3, "renotified": True}},
        }
    )
    assert message["text"].startswith("Handoff still overdue (notice 3): ")
    assert "claimed by dana" in message["text"]
    first = webhooks.slack_message(
        {"type": "handoff.overdue", "data": {"handoff": handoff, "overdue": {"notice": 1}}}
    )
    assert first["text"].startswith("Handoff overdue: ")


# ---- the outbox and its transaction -----------------------------------------------------


def test_each_event_reaches_each_subscribed_active_endpoint_once(world):
    everything = endpoint_for(world, "https://hooks.example.com/all")
    approvals_only = endpoint_for(world, "https://hooks.example.com/a", events=["approval.created"])
    disabled = endpoint_for(world, "https://hooks.example.com/off")
    services.webhook_endpoint_update(endpoint=disabled, by=world.people["owner"], active=False)
    submit_approval(world)
    assert WebhookMessage.objects.filter(endpoint=everything).count() == 1
    assert WebhookMessage.objects.filter(endpoint=approvals_only).count() == 1
    assert not WebhookMessage.objects.filter(endpoint=disabled).exists()
    assert not WebhookMessage.objects.filter(organization=world.other, event_type="x").exists()


def test_every_event_type_is_emitted(world):
    endpoint = endpoint_for(world, "https://hooks.example.com/all")
    approval = submit_approval(world)
    services.approval_decide(approval=approval, by=world.people["member"], verdict="approve")
    expiring = submit_approval(world)
    Approval.objects.filter(pk=expiring.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    services.approvals_expire_due()
    handoff = submit_handoff(world)
    Handoff.objects.filter(pk=handoff.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    services.handoffs_flag_overdue()
    version = PolicyVersion.objects.get(policy__organization=world.org, number=3)
    policy_services.policy_version_publish(version=version, by=world.people["reviewer"])
    sent = [
        (m.event_type, m.payload["data"])
        for m in WebhookMessage.objects.filter(endpoint=endpoint).order_by("id")
    ]
    assert [event for event, _ in sent] == [
        "approval.created",
        "approval.resolved",
        "approval.created",
        "approval.resolved",
        "handoff.created",
        "handoff.overdue",
        "policy_version.published",
    ]
    assert sent[1][1]["approval"]["status"] == "approved"
    assert sent[1][1]["approval"]["decided_by"] == "member"
    assert sent[3][1]["approval"]["status"] == "expired"
    assert sent[5][1]["handoff"]["id"] == handoff.public_id
    assert sent[4][1]["handoff"]["assignee"] is None
    assert sent[5][1]["overdue"] == {"notice": 1, "renotified": False, "minutes_late": 1}
    published = sent[6][1]["policy_version"]
    assert (published["policy"], published["version"], published["status"]) == (
        "pipeline",
        3,
        "active",
    )
    assert published["url"].endswith(f"/o/{world.org.slug}/policies/pipeline/v/3/")


def test_a_change_that_rolls_back_emits_nothing(world, django_capture_on_commit_callbacks):
    endpoint_for(world, "https://hooks.example.com/all")
    before = WebhookMessage.objects.count()
    seen_inside = []

    def submit_then_fail():
        with transaction.atomic():
            submit_approval(world)
            seen_inside.append(WebhookMessage.objects.count())
            raise RuntimeError("the caller fails after the service")

    with django_capture_on_commit_callbacks() as queued, pytest.raises(RuntimeError):
        submit_then_fail()
    assert seen_inside == [before + 2]  # written inside: one per subscribed endpoint
    assert WebhookMessage.objects.count() == before  # and gone with it
    assert queued == []  # no delivery was queued


def test_delivery_is_queued_only_when_the_change_commits(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.humans import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver_webhook, "delay", queued.append)
    endpoint_for(world, "https://hooks.example.com/all")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit_approval(world)
    assert queued == []
    for callback in callbacks:
        callback()
    message = WebhookMessage.objects.get(
        event_type="approval.created", endpoint__url__endswith="/all"
    )
    assert message.pk in queued


@pytest.mark.django_db(transaction=True)
def test_events_emit_refuses_to_run_outside_a_transaction():
    from tests.factories import make_organization

    with pytest.raises(RuntimeError):
        services.events_emit(organization=make_organization(), event="approval.created", payload={})


# ---- destinations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("http://192.168.0.10:8080/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://100.64.0.1/", "non-public"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://localhost:8000/hook", "loopback"),
        ("https://rebound.example.net/hook", "loopback"),
        ("ftp://hooks.example.com/hook", "http"),
        ("file:///etc/passwd", "http"),
        ("https://user:pw@hooks.example.com/", "credentials"),
    ],
)
def test_internal_destinations_are_refused_when_registered(
    world, monkeypatch, url, why, public_dns
):
    public_dns({"rebound.example.net": "127.0.0.1"})
    with pytest.raises(ValidationFailed) as refused:
        endpoint_for(world, url)
    assert why in refused.value.fields["url"]
    assert not WebhookEndpoint.objects.filter(url=url).exists()


def test_a_name_resolving_to_any_internal_address_is_refused(world, monkeypatch):
    monkeypatch.setattr(
        webhooks,
        "resolve",
        lambda host, port: [
            webhooks.ipaddress.ip_address("93.184.215.14"),
            webhooks.ipaddress.ip_address("10.0.0.5"),
        ],
    )
    with pytest.raises(ValidationFailed) as refused:
        endpoint_for(world, "https://mixed.example.net/hook")
    assert "10.0.0.5" in refused.value.fields["url"]


def test_public_addresses_and_unresolvable_names_are_accepted(world, monkeypatch, public_dns):
    public_dns({"hooks.example.org": "93.184.215.14"})
    assert endpoint_for(world, "https://hooks.example.org/x").active
    assert endpoint_for(world, "https://203.0.114.9/x").active  # a public literal

    def no_dns(host, port):
        raise socket.gaierror("no such name")

    monkeypatch.setattr(webhooks, "resolve", no_dns)
    # Checked again on every delivery, so a name not (yet) published may be registered.
    assert endpoint_for(world, "https://not-yet.example.net/x").active


def test_changing_the_url_is_checked_too(world, api_as):
    endpoint = endpoint_for(world, "https://hooks.example.com/x")
    response = api_as(world.people["owner"]).patch(
        f"/api/v1/orgs/{world.org.slug}/webhooks/{endpoint.public_id}/",
        {"url": "http://169.254.169.254/"},
        format="json",
    )
    # Well-formed: where its host points is what refuses it.
    assert response.status_code == 409
    assert "link-local" in response.json()["error"]["fields"]["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/x"


def test_a_name_that_resolves_internally_at_delivery_is_not_called(
    world, monkeypatch, receiver, public_dns
):
    """Registered while public, re-pointed at the receiver on 127.0.0.1 before delivery: the
    attempt is refused at connection time and the receiver never hears of it."""
    port = receiver.server.server_address[1]
    public_dns({"moving.example.net": "93.184.215.14"})
    endpoint = endpoint_for(world, f"http://moving.example.net:{port}/hook")
    public_dns({"moving.example.net": "127.0.0.1"})
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint, event_type="approval.created")
    assert services.webhook_message_deliver(message_id=message.pk) == WebhookStatus.PENDING
    message.refresh_from_db()
    assert "Refused" in message.last_error
    assert "127.0.0.1" in message.last_error
    assert message.last_status_code is None
    assert receiver.received == []


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "10.0.0.1", "169.254.169.254"])
def test_an_internal_url_in_the_outbox_is_refused_at_delivery(world, host, receiver):
    endpoint = endpoint_for(world, "https://hooks.example.com/x")
    port = receiver.server.server_address[1] if host == "127.0.0.1" else 80
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://{host}:{port}/hook")
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint, event_type="approval.created")
    services.webhook_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.last_error.startswith("Refused")
    assert message.tries.get().error.startswith("Refused")
    assert receiver.received == []


# ---- attempts, backoff, failure ------------------------------------------------------------


def test_failures_back_off_exponentially_then_fail(world, receiver, private_ok, settings):
    settings.MANDATE_WEBHOOK_MAX_ATTEMPTS = 4
    receiver.statuses = [500]
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    waits = []
    for attempt in range(1, 5):
        outcome = services.webhook_message_deliver(message_id=message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt
        assert message.last_status_code == 500
        if attempt < 4:
            assert outcome == WebhookStatus.PENDING
            last = message.tries.get(number=attempt)
            waits.append((message.next_attempt_at - last.finished_at).total_seconds())
            # Not due yet: a second task for it does nothing.
            assert services.webhook_message_deliver(message_id=message.pk) == "skipped"
            WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outcome == WebhookStatus.FAILED
    assert message.next_attempt_at is None
    assert all(10 * 2**i <= w <= 12 * 2**i for i, w in enumerate(waits)), waits
    assert len(receiver.received) == 4
    assert len(set(receiver.ids())) == 1  # one message, one webhook-id, every attempt
    assert [t.status_code for t in message.tries.all()] == [500] * 4


def test_a_redirect_is_not_followed_and_is_a_failure(world, receiver, private_ok):
    receiver.statuses = [302]
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    services.webhook_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WebhookStatus.PENDING
    assert message.last_status_code == 302
    assert "redirects are not followed" in message.last_error
    assert len(receiver.received) == 1


def test_a_receiver_that_is_down_is_recorded(world, private_ok):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    endpoint = endpoint_for(world, f"http://127.0.0.1:{port}/", events=["approval.created"])
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    services.webhook_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == WebhookStatus.PENDING
    assert message.attempts == 1
    assert message.last_error
    assert message.last_status_code is None
    attempt = message.tries.get()
    assert attempt.finished_at is not None
    assert attempt.error == message.last_error


def test_a_disabled_endpoints_pending_messages_fail_without_a_call(world, receiver, private_ok):
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    submit_approval(world)
    services.webhook_endpoint_update(endpoint=endpoint, by=world.people["owner"], active=False)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert services.webhook_message_deliver(message_id=message.pk) == "skipped"
    message.refresh_from_db()
    assert message.status == WebhookStatus.FAILED
    assert "disabled" in message.last_error
    assert receiver.received == []


def test_the_sweeper_queues_due_pending_messages_only(world, monkeypatch):
    from apps.humans import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver_webhook, "delay", queued.append)
    endpoint = endpoint_for(world, "https://hooks.example.com/all")
    submit_approval(world)
    submit_handoff(world)
    due, later = WebhookMessage.objects.filter(endpoint=endpoint).order_by("id")
    WebhookMessage.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    world_message = WebhookMessage.objects.get(public_id=world.names["webhook_message"])
    WebhookMessage.objects.filter(pk=world_message.pk).update(status=WebhookStatus.DELIVERED)
    swept = services.webhooks_sweep()
    assert due.pk in swept
    assert later.pk not in swept
    assert world_message.pk not in swept
    assert queued == swept


# ---- redelivery -----------------------------------------------------------------------------


def test_redelivery_sends_the_same_message_again_and_is_audited(
    world, receiver, private_ok, inline_tasks, django_capture_on_commit_callbacks, api_as
):
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    with django_capture_on_commit_callbacks(execute=True):
        submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert message.status == WebhookStatus.DELIVERED
    url = (
        f"/api/v1/orgs/{world.org.slug}/webhooks/{endpoint.public_id}"
        f"/deliveries/{message.public_id}/redeliver/"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(world.people["owner"]).post(url)
    assert response.status_code == 202
    assert receiver.ids() == [message.public_id, message.public_id]
    Webhook(endpoint.secret).verify(receiver.received[1].body, receiver.received[1].headers)
    assert receiver.received[0].body == receiver.received[1].body
    message.refresh_from_db()
    assert message.status == WebhookStatus.DELIVERED
    assert message.attempts == 2
    event = AuditEvent.objects.get(verb="webhook_message.redelivered")
    assert event.actor == "owner"
    assert event.object_id == str(message.pk)


def test_a_failed_message_gets_a_fresh_round_when_redelivered(
    world, receiver, private_ok, settings
):
    settings.MANDATE_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.statuses = [503, 200]
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    assert services.webhook_message_deliver(message_id=message.pk) == WebhookStatus.FAILED
    services.webhook_message_redeliver(message=message, by=world.people["owner"])
    assert services.webhook_message_deliver(message_id=message.pk) == WebhookStatus.DELIVERED
    message.refresh_from_db()
    assert (message.attempts, message.last_status_code) == (2, 200)
    assert [t.number for t in message.tries.all()] == [1, 2]


def test_redelivery_is_refused_for_a_disabled_endpoint(world):
    endpoint = endpoint_for(world, "https://hooks.example.com/x", events=["approval.created"])
    submit_approval(world)
    services.webhook_endpoint_update(endpoint=endpoint, by=world.people["owner"], active=False)
    with pytest.raises(Conflict):
        services.webhook_message_redeliver(
            message=WebhookMessage.objects.get(endpoint=endpoint), by=world.people["owner"]
        )


def test_an_attempt_outlived_by_its_lease_is_superseded(world, receiver, private_ok):
    """A worker that comes back after its lease expired (and another took over) records its
    attempt but does not overwrite the message."""
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    _claimed, _attempt = services._claim(message.pk, timezone.now())
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.webhook_message_deliver(message_id=message.pk) == WebhookStatus.DELIVERED
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.tries.get(number=1).finished_at is None  # the first one never reported


# ---- the management API -------------------------------------------------------------------


def test_api_creates_lists_updates_rotates_and_deletes_with_audit(world, api_as):
    client = api_as(world.people["owner"])
    base = f"/api/v1/orgs/{world.org.slug}/webhooks/"
    created = client.post(
        base,
        {
            "url": "https://hooks.example.com/crm",
            "events": ["handoff.created"],
            "description": "CRM",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert created["Cache-Control"] == "no-store"
    assert body["secret_hint"] == body["secret"][:10] + "…"
    assert body["format"] == "standard"
    assert body["active"] is True
    listed = client.get(base).json()["results"]
    assert {e["id"] for e in listed} == {world.names["webhook"], body["id"]}
    assert all("secret" not in e for e in listed)
    detail = client.get(base + body["id"] + "/").json()
    assert "secret" not in detail
    assert detail["created_by"] == "owner"

    patched = client.patch(
        base + body["id"] + "/",
        {"events": ["handoff.overdue", "handoff.created"], "active": False},
        format="json",
    )
    assert patched.status_code == 200
    assert patched.json()["events"] == ["handoff.created", "handoff.overdue"]
    assert patched.json()["active"] is False

    rotated = client.post(base + body["id"] + "/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_until"]

    assert client.delete(base + body["id"] + "/").status_code == 204
    assert client.get(base + body["id"] + "/").status_code == 404

    verbs = list(
        AuditEvent.objects.filter(organization=world.org, verb__startswith="webhook_endpoint.")
        .exclude(object_id=str(WebhookEndpoint.objects.get(public_id=world.names["webhook"]).pk))
        .order_by("seq")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.deleted",
    ]
    for event in AuditEvent.objects.filter(verb__startswith="webhook_endpoint."):
        assert "whsec_" not in json.dumps([event.before, event.after])
    updated = AuditEvent.objects.filter(verb="webhook_endpoint.updated").last()
    assert updated.before == {"events": ["handoff.created"], "active": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://hooks.example.com/x", "events": []}, "events"),
        ({"url": "https://hooks.example.com/x", "events": ["approval.nope"]}, "events"),
        (
            {"url": "https://hooks.example.com/x", "events": ["approval.created"], "format": "xml"},
            "format",
        ),
        ({"url": "ftp://hooks.example.com/x", "events": ["approval.created"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/", "events": ["approval.created"]}, "url"),
        ({"url": "https://hooks.example.com/é", "events": ["approval.created"]}, "url"),
        (
            {
                "url": "https://hooks.example.com/x",
                "events": ["approval.created"],
                "secret": "mine",
            },
            "secret",
        ),
    ],
)
def test_api_refuses_bad_input(world, api_as, body, field):
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/webhooks/", body, format="json"
    )
    assert response.status_code == 400
    assert any(k.split(".")[0] == field for k in response.json()["error"]["fields"])
    assert WebhookEndpoint.objects.filter(organization=world.org).count() == 1


def test_an_endpoint_told_of_nothing_is_refused(world, api_as):
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/webhooks/",
        {"url": "https://hooks.example.com/x", "events": []},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"events": "Choose at least one event."}


def test_an_event_named_twice_is_refused_naming_the_field(world, api_as):
    client = api_as(world.people["owner"])
    base = f"/api/v1/orgs/{world.org.slug}/webhooks/"
    twice = ["approval.resolved", "handoff.created", "approval.resolved"]
    response = client.post(
        base, {"url": "https://hooks.example.com/x", "events": twice}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == {
        "events": "Name each event once; repeated: approval.resolved."
    }
    assert WebhookEndpoint.objects.filter(organization=world.org).count() == 1

    existing = base + world.names["webhook"] + "/"
    patched = client.patch(existing, {"events": twice}, format="json")
    assert patched.status_code == 400, patched.content
    assert list(patched.json()["error"]["fields"]) == ["events"]


def test_an_internal_destination_is_a_conflict_naming_the_url(world, api_as):
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/webhooks/",
        {"url": "http://127.0.0.1/", "events": ["approval.created"]},
        format="json",
    )
    assert response.status_code == 409
    assert "loopback" in response.json()["error"]["fields"]["url"]
    assert WebhookEndpoint.objects.filter(organization=world.org).count() == 1


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("https://[2606:4700:4700::1111]/hook", 201, None),
        ("https://[2001:db8::8a2e:370:7334]:8443/hook", 409, "private"),  # documentation
        ("http://[fd00::1]/hook", 409, "private"),
        ("http://[fe80::1]/hook", 409, "link-local"),
        ("http://[::1]:8080/hook", 409, "loopback"),
        ("http://[::ffff:10.0.0.1]/hook", 409, "private"),
        ("http://[fec0::1]/hook", 409, "site-local"),
        ("http://[::]/hook", 409, "an unspecified address"),
        ("http://[::g]/hook", 400, "Use an http:// or https:// URL"),
        ("http://[1::2::3]/hook", 400, "Use an http:// or https:// URL"),
        ("http://[fe80::1%25eth0]/hook", 400, "Use an http:// or https:// URL"),
    ],
)
def test_ipv6_literals_are_destinations_like_any_other(world, api_as, url, status, says):
    response = api_as(world.people["owner"]).post(
        f"/api/v1/orgs/{world.org.slug}/webhooks/",
        {"url": url, "events": ["approval.created"]},
        format="json",
    )
    assert response.status_code == status, response.content
    if says is None:
        assert WebhookEndpoint.objects.get(public_id=response.json()["id"]).url == url
    else:
        assert says in response.json()["error"]["fields"]["url"]
        assert not WebhookEndpoint.objects.filter(url=url).exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://[fe80::1%25eth0]/hook", "IPv6 address in brackets"),
        ("http://[::g]/hook", "IPv6 address in brackets"),
        ("http://[fd00::1]/hook", "fd00::1 is a private address"),
    ],
)
def test_the_service_behind_the_page_refuses_what_the_api_refuses(world, url, says):
    with pytest.raises(ValidationFailed) as refused:
        endpoint_for(world, url)
    assert says in refused.value.fields["url"]


def test_a_url_saved_before_the_grammar_held_can_still_be_switched_off(world, public_dns):
    public_dns({"xn--bcher-kva.example": "93.184.215.14"})
    endpoint = endpoint_for(world, "https://hooks.example.com/hook")
    legacy = "https://bücher.example/hook?x=a|b"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=legacy)
    endpoint.refresh_from_db()
    assert webhooks.url_refusal(legacy)  # not accepted as a new destination
    assert webhooks.url_refusal(legacy, resolve_host=False) == ""  # still tried on delivery
    updated = services.webhook_endpoint_update(
        endpoint=endpoint, by=world.people["owner"], active=False
    )
    assert (updated.url, updated.active) == (legacy, False)
    with pytest.raises(ValidationFailed) as refused:
        services.webhook_endpoint_update(endpoint=updated, by=world.people["owner"], url=legacy)
    assert "IPv6 address in brackets" in refused.value.fields["url"]


def test_api_lists_deliveries_with_their_attempts(world, api_as, receiver, private_ok):
    receiver.statuses = [500, 200]
    endpoint = endpoint_for(world, receiver.url, events=["approval.created"])
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    services.webhook_message_deliver(message_id=message.pk)
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    services.webhook_message_deliver(message_id=message.pk)
    client = api_as(world.people["owner"])
    base = f"/api/v1/orgs/{world.org.slug}/webhooks/{endpoint.public_id}/deliveries/"
    listed = client.get(base).json()["results"]
    assert [(d["id"], d["status"], d["attempts"]) for d in listed] == [
        (message.public_id, "delivered", 2)
    ]
    detail = client.get(base + message.public_id + "/").json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 200]
    assert detail["payload"]["type"] == "approval.created"
    # Another endpoint's message is not found under this one.
    other = client.get(base + world.names["webhook_message"] + "/")
    assert other.status_code == 404


def test_at_most_twenty_endpoints(world):
    for n in range(19):
        endpoint_for(world, f"https://hooks.example.com/{n}")
    with pytest.raises(Conflict):
        endpoint_for(world, "https://hooks.example.com/one-too-many")


# ---- the page -------------------------------------------------------------------------------


def test_page_creates_shows_the_secret_once_and_redelivers(world, client, monkeypatch):
    from apps.humans import tasks

    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *a: None)
    client.force_login(world.people["owner"])
    page = f"/o/{world.org.slug}/webhooks/"
    shown = client.get(page)
    assert shown.status_code == 200
    assert world.names["webhook_message"] in shown.content.decode()
    assert b"Webhooks" in client.get(f"/o/{world.org.slug}/").content

    created = client.post(
        page,
        {"url": "https://hooks.example.com/crm", "events": ["approval.created"], "format": "slack"},
    )
    assert created.status_code == 200
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.com/crm")
    assert endpoint.secret in created.content.decode()
    assert created["Cache-Control"] == "no-store"
    assert endpoint.secret not in client.get(page).content.decode()

    refused = client.post(page, {"url": "http://10.0.0.1/", "events": ["approval.created"]})
    assert refused.status_code == 400
    assert "private address" in refused.content.decode()

    world_message = WebhookMessage.objects.get(public_id=world.names["webhook_message"])
    WebhookMessage.objects.filter(pk=world_message.pk).update(status=WebhookStatus.FAILED)
    redelivered = client.post(
        f"{page}{world.names['webhook']}/deliveries/{world.names['webhook_message']}/redeliver/"
    )
    assert redelivered.status_code == 302
    world_message.refresh_from_db()
    assert world_message.status == WebhookStatus.PENDING


def test_members_do_not_see_the_webhooks_link(world, client):
    client.force_login(world.people["member"])
    assert b"/webhooks/" not in client.get(f"/o/{world.org.slug}/").content


def test_the_audit_trail_keeps_no_credential_from_a_url(world):
    # Slack's incoming-webhook URLs are their own credential.
    url = "https://hooks.slack.com/services/T0001/B0001/s3cretpart"
    endpoint = endpoint_for(world, url, events=["approval.created"], fmt="slack")
    services.webhook_endpoint_update(
        endpoint=endpoint, by=world.people["owner"], url=url.replace("s3cret", "0ther")
    )
    submit_approval(world)
    message = WebhookMessage.objects.get(endpoint=endpoint)
    services.webhook_endpoint_update(endpoint=endpoint, by=world.people["owner"], active=True)
    services.webhook_message_redeliver(message=message, by=world.people["owner"])
    services.webhook_endpoint_delete(endpoint=endpoint, by=world.people["owner"])
    events = AuditEvent.objects.filter(verb__startswith="webhook_")
    assert events.count() >= 4
    for event in events:
        text = json.dumps([event.object_repr, event.before, event.after])
        assert "s3cret" not in text
        assert "0therpart" not in text
    created = events.get(verb="webhook_endpoint.created", object_id=str(endpoint.pk))
    assert created.after["url"].startswith("https://hooks.slack.com/… (sha256 ")
