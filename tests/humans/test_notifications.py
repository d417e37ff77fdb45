"""E-mail to the routed team when an approval or a handoff arrives, when an approval is
about to expire and when a handoff goes overdue: sent after the change commits, by a task
that takes ids, one message per person."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.humans import services, tasks
from apps.humans.models import Approval, Handoff
from tests.factories import UserFactory, make_member, submit_approval, submit_handoff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The notification task runs in the test's process; its mail lands in mail.outbox."""
    calls = []

    def run(*args):
        calls.append(args)
        return tasks.send_notification(*args)

    monkeypatch.setattr(tasks.send_notification, "delay", run)
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *a: None)
    mail.outbox.clear()
    return calls


@pytest.fixture
def second_member(world):
    user = make_member(world.org, ["member"], UserFactory(username="second"))
    from apps.organizations.services import team_edit

    team_edit(team=world.team, by=world.people["owner"], members=["member", "second"])
    return user


def test_a_new_approval_mails_each_member_of_the_routed_team_on_commit(
    world, sent, second_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approval = submit_approval(world)
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sent == [("approval_created", approval.pk)]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.people["member"].email, second_member.email]
    )
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    message = mail.outbox[0]
    assert "offer_discount" in message.subject
    assert "Copilot" in message.subject
    assert f"/o/{world.org.slug}/inbox/approvals/{approval.public_id}/" in message.body
    assert "Asked for 12% off." in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body


def test_without_a_team_the_owners_are_told(world, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit_approval(world, team="")
    assert [m.to for m in mail.outbox] == [[world.people["owner"].email]]


def test_a_rolled_back_approval_mails_nobody(world, sent, django_capture_on_commit_callbacks):
    from django.db import transaction

    def fail():
        with transaction.atomic():
            submit_approval(world)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        fail()
    assert sent == []
    assert mail.outbox == []


def test_a_decided_approval_is_not_announced_late(world, sent):
    approval = submit_approval(world)
    services.approval_decide(approval=approval, by=world.people["member"], verdict="approve")
    assert tasks.send_notification("approval_created", approval.pk) == 0
    assert mail.outbox == []


def test_the_reminder_is_sent_once_by_the_task(world, sent):
    approval = submit_approval(world)
    Approval.objects.filter(pk=approval.pk).update(
        created_at=timezone.now() - timedelta(hours=3, minutes=30),
        due_at=timezone.now() + timedelta(minutes=30),
    )
    assert tasks.remind_due_approvals() >= 1
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert [m.to for m in reminders] == [[world.people["member"].email]]
    assert approval.public_id in reminders[0].body
    mail.outbox.clear()
    tasks.remind_due_approvals()
    assert not [m for m in mail.outbox if approval.public_id in m.body]


def test_a_new_handoff_and_an_overdue_one_mail_the_team(
    world, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        handoff = submit_handoff(world)
    assert [m.to for m in mail.outbox] == [[world.people["member"].email]]
    assert "Deal Desk" in mail.outbox[0].subject
    assert f"/inbox/handoffs/{handoff.public_id}/" in mail.outbox[0].body
    assert "Needs a quote." in mail.outbox[0].body
    mail.outbox.clear()

    Handoff.objects.filter(pk=handoff.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert tasks.flag_overdue_handoffs() >= 1
    overdue = [m for m in mail.outbox if handoff.public_id in m.body]
    assert [m.subject.split(":")[0] for m in overdue] == ["Overdue handoff"]
    assert "Nobody has picked up" in overdue[0].body
    mail.outbox.clear()
    tasks.flag_overdue_handoffs()  # not again before the interval is up
    assert not [m for m in mail.outbox if handoff.public_id in m.body]

    Handoff.objects.filter(pk=handoff.pk).update(
        overdue_notified_at=timezone.now() - timedelta(minutes=61)
    )
    tasks.flag_overdue_handoffs()
    again = [m for m in mail.outbox if handoff.public_id in m.body]
    assert [m.to for m in again] == [[world.people["member"].email]]


def test_a_claimed_overdue_handoff_mails_its_assignee_only(world, sent, second_member):
    handoff = submit_handoff(world)
    services.handoff_claim(handoff=handoff, by=second_member)
    mail.outbox.clear()
    Handoff.objects.filter(pk=handoff.pk).update(due_at=timezone.now() - timedelta(minutes=90))
    tasks.flag_overdue_handoffs()
    overdue = [m for m in mail.outbox if handoff.public_id in m.body]
    assert [m.to for m in overdue] == [[second_member.email]]
    assert "You claimed" in overdue[0].body
    assert "1\xa0hour, 30\xa0minutes ago" in overdue[0].body


def test_the_team_is_told_who_claimed_it_when_the_assignee_cannot_be_reached(
    world, sent, second_member
):
    handoff = submit_handoff(world)
    services.handoff_claim(handoff=handoff, by=second_member)
    type(second_member).objects.filter(pk=second_member.pk).update(email="")
    mail.outbox.clear()
    Handoff.objects.filter(pk=handoff.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    tasks.flag_overdue_handoffs()
    overdue = [m for m in mail.outbox if handoff.public_id in m.body]
    assert overdue
    assert "You claimed" not in overdue[0].body
    name = second_member.get_full_name() or second_member.username
    assert f"{name} claimed a conversation" in overdue[0].body


def test_a_handoff_closed_before_its_overdue_mail_goes_is_not_announced(world, sent):
    handoff = submit_handoff(world)
    services.handoff_close(handoff=handoff, by=world.people["member"], resolution="Called back.")
    assert tasks.send_notification("handoff_overdue", handoff.pk) == 0


def test_people_without_an_address_are_skipped(world, sent):
    world.people["member"].email = ""
    world.people["member"].save()
    approval = submit_approval(world)
    assert tasks.send_notification("approval_created", approval.pk) == 0
