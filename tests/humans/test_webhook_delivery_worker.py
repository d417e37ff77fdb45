"""Webhook delivery by a real Celery worker (with beat, so the sweeper runs) to a receiver on
127.0.0.1: retries with backoff until a 2xx, redelivery, and the outbox surviving a worker
killed in the middle of a delivery."""

import time

import pytest

from apps.humans import services
from apps.humans.constants import WebhookStatus
from apps.humans.models import WebhookMessage
from tests.factories import submit_handoff
from tests.humans.webhook_receiver import Receiver
from tests.worker import celery_worker, kill, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fast_webhooks(monkeypatch, settings):
    """The worker's settings come from its environment: a short backoff, a sweep every
    second, a short timeout (so a lost attempt's lease ends soon), and 127.0.0.1 allowed."""
    for name, value in {
        "MANDATE_WEBHOOKS_ALLOW_PRIVATE": "true",
        "MANDATE_WEBHOOK_BACKOFF_SECONDS": "1",
        "MANDATE_WEBHOOK_SWEEP_INTERVAL": "1",
        "MANDATE_WEBHOOK_TIMEOUT_SECONDS": "3",
    }.items():
        monkeypatch.setenv(name, value)
    settings.MANDATE_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    started = Receiver().start()
    yield started
    started.stop()


def register(world, receiver):
    return services.webhook_endpoint_create(
        organization=world.org,
        by=world.people["owner"],
        url=receiver.url,
        events=["handoff.created"],
    )


def the_message(endpoint) -> WebhookMessage:
    return WebhookMessage.objects.get(endpoint=endpoint)


def alive(process, tmp_path) -> None:
    assert process.poll() is None, (tmp_path / "worker.log").read_text()


def wait_with_log(predicate, process, log_dir, *, timeout: float, what: str) -> None:
    """wait_for, and the worker's log when the wait fails or the worker died."""
    try:
        wait_for(lambda: process.poll() is not None or predicate(), timeout=timeout, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{(log_dir / 'worker.log').read_text()[-6000:]}") from None
    alive(process, log_dir)


def test_fails_twice_then_delivered_with_backoff_then_redelivered(
    world, tmp_path, fast_webhooks, receiver, api_as
):
    receiver.statuses = [500, 502, 200]
    endpoint = register(world, receiver)
    with celery_worker(tmp_path) as process:
        submit_handoff(world)  # commits: the delivery is queued, the worker takes it
        wait_with_log(
            lambda: the_message(endpoint).status != WebhookStatus.PENDING,
            process,
            tmp_path,
            timeout=60,
            what="the message to be delivered",
        )
        message = the_message(endpoint)
        assert message.status == WebhookStatus.DELIVERED
        assert message.attempts == 3
        tries = list(message.tries.order_by("number"))
        assert [t.status_code for t in tries] == [500, 502, 200]
        # Each retry waited at least its backoff: 1 s after the first failure, 2 s after
        # the second (the base doubles), counted from the end of the failed attempt.
        assert (tries[1].started_at - tries[0].finished_at).total_seconds() >= 1
        assert (tries[2].started_at - tries[1].finished_at).total_seconds() >= 2
        assert len(set(receiver.ids())) == 1
        assert receiver.ids()[0] == message.public_id

        response = api_as(world.people["owner"]).post(
            f"/api/v1/orgs/{world.org.slug}/webhooks/{endpoint.public_id}"
            f"/deliveries/{message.public_id}/redeliver/"
        )
        assert response.status_code == 202
        wait_with_log(
            lambda: len(receiver.received) == 4,
            process,
            tmp_path,
            timeout=30,
            what="the redelivery",
        )
        wait_for(
            lambda: the_message(endpoint).status == WebhookStatus.DELIVERED,
            timeout=10,
            what="the redelivery to be recorded",
        )
    assert receiver.ids() == [message.public_id] * 4
    assert the_message(endpoint).attempts == 4


def test_a_worker_killed_mid_delivery_loses_nothing(world, tmp_path, fast_webhooks, receiver):
    receiver.hold_first = True  # the first request hangs until the worker is gone
    endpoint = register(world, receiver)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with celery_worker(first) as process:
        submit_handoff(world)
        assert receiver.got_one.wait(60), (first / "worker.log").read_text()
        kill(process)  # SIGKILL: no clean-up, the request still open
    receiver.released.set()
    message = the_message(endpoint)
    assert message.status == WebhookStatus.PENDING
    assert message.attempts == 1
    cut_short = message.tries.get()
    assert cut_short.finished_at is None

    with celery_worker(second) as process:
        wait_with_log(
            lambda: the_message(endpoint).status != WebhookStatus.PENDING,
            process,
            second,
            timeout=60,
            what="the sweeper to deliver the message again",
        )
        time.sleep(3)  # a few more sweeps: a delivered message is not sent again
        alive(process, second)
    message = the_message(endpoint)
    assert message.status == WebhookStatus.DELIVERED
    assert message.attempts == 2
    assert [t.status_code for t in message.tries.order_by("number")] == [None, 200]
    # The receiver saw the same message twice, by the same webhook-id (so it can tell), and
    # the second worker sent it exactly once.
    assert receiver.ids() == [message.public_id, message.public_id]
