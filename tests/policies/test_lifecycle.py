"""The life cycle of policy versions through the services: every transition, every
forbidden one, four eyes, immutability in the database, one active version at a time."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, PermissionRefused, ValidationFailed
from apps.policies import services
from apps.policies.constants import VersionState
from apps.policies.models import Policy, PolicyVersion
from tests.conftest import SIMPLE_DOCUMENT


@pytest.fixture
def policy(world):
    return Policy.objects.get(organization=world.org, key="pipeline")


def version(policy, number):
    return PolicyVersion.objects.get(policy=policy, number=number)


def verbs_since(org, seq):
    return list(
        AuditEvent.objects.filter(organization=org, seq__gt=seq)
        .order_by("seq")
        .values_list("verb", flat=True)
    )


def last_seq(org):
    return (
        AuditEvent.objects.filter(organization=org)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )


def test_full_life_cycle_with_audit_events(world, policy):
    author, reviewer = world.people["author"], world.people["reviewer"]
    start = last_seq(world.org)
    draft = services.policy_version_create(policy=policy, by=author, document=SIMPLE_DOCUMENT)
    assert draft.state == VersionState.DRAFT
    assert draft.number == 4
    edited = dict(SIMPLE_DOCUMENT, name="Pipeline, edited")
    services.policy_version_edit(version=draft, by=author, document=edited)
    services.policy_version_submit(version=draft, by=author)
    services.policy_version_approve(version=draft, by=reviewer, comment="Looks right.")
    services.policy_version_publish(version=draft, by=reviewer)
    draft.refresh_from_db()
    assert draft.state == VersionState.ACTIVE
    assert draft.approved_hash == draft.content_hash
    assert draft.review_comment == "Looks right."
    assert verbs_since(world.org, start) == [
        "policy_version.created",
        "policy_version.edited",
        "policy_version.submitted",
        "policy_version.approved",
        "policy_version.activated",
    ]
    submitted = AuditEvent.objects.get(
        organization=world.org, verb="policy_version.submitted", object_id=str(draft.pk)
    )
    assert submitted.before == {"state": "draft"}
    assert submitted.actor == author.username


def test_publishing_supersedes_the_active_version_atomically(world, policy):
    reviewer = world.people["reviewer"]
    services.policy_version_publish(version=version(policy, 3), by=reviewer)
    v4 = services.policy_version_create(policy=policy, by=world.people["author"])
    assert v4.document == version(policy, 3).document  # a new draft starts from the active one
    assert v4.based_on.number == 3
    services.policy_version_submit(version=v4, by=world.people["author"])
    services.policy_version_approve(version=v4, by=reviewer)
    services.policy_version_publish(version=v4, by=reviewer)
    states = dict(PolicyVersion.objects.filter(policy=policy).values_list("number", "state"))
    assert states == {1: "draft", 2: "in_review", 3: "superseded", 4: "active"}


def test_rollback_is_a_new_draft_of_an_older_version(world, policy):
    older = version(policy, 2)
    rollback = services.policy_version_create(
        policy=policy, by=world.people["author"], based_on=older
    )
    assert rollback.state == VersionState.DRAFT
    assert rollback.document == older.document
    assert rollback.based_on_id == older.pk


@pytest.mark.parametrize(
    ("number", "action"),
    [
        (2, "edit"),  # in review: frozen
        (3, "edit"),  # approved
        (2, "submit"),
        (1, "approve"),  # a draft cannot be approved
        (3, "approve"),  # approved twice
        (1, "reject"),
        (1, "publish"),  # unapproved
        (2, "publish"),
    ],
)
def test_transitions_not_allowed_from_the_state_are_conflicts(world, policy, number, action):
    target = version(policy, number)
    before_state = target.state
    owner = world.people["owner"]
    calls = {
        "edit": lambda: services.policy_version_edit(
            version=target, by=owner, document=SIMPLE_DOCUMENT
        ),
        "submit": lambda: services.policy_version_submit(version=target, by=owner),
        "approve": lambda: services.policy_version_approve(version=target, by=owner),
        "reject": lambda: services.policy_version_reject(version=target, by=owner, comment="no"),
        "publish": lambda: services.policy_version_publish(version=target, by=owner),
    }
    with pytest.raises(Conflict) as error:
        calls[action]()
    assert error.value.fields == {"state": before_state}
    target.refresh_from_db()
    assert target.state == before_state


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_nobody_reviews_a_version_they_wrote(world, policy, action):
    author = world.people["author"]
    target = version(policy, 2)
    call = (
        services.policy_version_approve if action == "approve" else services.policy_version_reject
    )
    with pytest.raises(PermissionRefused):
        call(version=target, by=author, comment="mine")


def test_an_owner_who_edited_a_draft_cannot_approve_it(world, policy):
    owner = world.people["owner"]
    draft = version(policy, 1)
    services.policy_version_edit(
        version=draft, by=owner, document=dict(SIMPLE_DOCUMENT, name="Owner's touch")
    )
    services.policy_version_submit(version=draft, by=world.people["author"])
    with pytest.raises(PermissionRefused):
        services.policy_version_approve(version=draft, by=owner)
    services.policy_version_approve(version=draft, by=world.people["reviewer"])


def test_approval_is_bound_to_the_content_the_reviewer_saw(world, policy):
    target = version(policy, 2)
    with pytest.raises(Conflict) as error:
        services.policy_version_approve(
            version=target, by=world.people["reviewer"], seen_hash="0" * 64
        )
    assert error.value.code == "stale_review"
    services.policy_version_approve(
        version=target, by=world.people["reviewer"], seen_hash=target.content_hash
    )


def test_reject_needs_a_comment(world, policy):
    with pytest.raises(ValidationFailed) as error:
        services.policy_version_reject(
            version=version(policy, 2), by=world.people["reviewer"], comment=" "
        )
    assert "comment" in error.value.fields


def test_invalid_documents_are_refused_with_paths_and_nothing_is_saved(world, policy):
    count = PolicyVersion.objects.count()
    bad = dict(
        SIMPLE_DOCUMENT,
        actions={"offer_discount": {"mode": "autonomous", "limits": {"discount_pct": -5}}},
    )
    with pytest.raises(ValidationFailed) as error:
        services.policy_version_create(policy=policy, by=world.people["author"], document=bad)
    assert error.value.fields == {
        "document.actions.offer_discount.limits.discount_pct": "must be a number ≥ 0"
    }
    assert PolicyVersion.objects.count() == count


def test_submit_rechecks_catalogs_that_changed(world, policy):
    from apps.agents.models import Agent
    from apps.humans.models import Approval, Handoff
    from apps.organizations.models import Team

    Agent.objects.filter(organization=world.org).update(team=None)
    Approval.objects.filter(organization=world.org).delete()
    Handoff.objects.filter(organization=world.org).delete()
    Team.objects.filter(organization=world.org, key="deal-desk").delete()
    with pytest.raises(ValidationFailed) as error:
        services.policy_version_submit(version=version(policy, 1), by=world.people["author"])
    assert "document.actions.offer_discount.approver_team" in error.value.fields


def test_scheduled_publication_activates_when_due(world, policy):
    reviewer = world.people["reviewer"]
    when = timezone.now() + timedelta(hours=1)
    scheduled = services.policy_version_publish(
        version=version(policy, 3), by=reviewer, effective_at=when
    )
    assert scheduled.state == VersionState.APPROVED
    assert scheduled.publish_at == when
    assert services.policy_versions_activate_due(now=timezone.now()) == []
    assert services.policy_versions_activate_due(now=when + timedelta(seconds=1)) == [scheduled.pk]
    assert version(policy, 3).state == VersionState.ACTIVE


def test_publication_in_the_past_is_refused(world, policy):
    with pytest.raises(ValidationFailed):
        services.policy_version_publish(
            version=version(policy, 3),
            by=world.people["reviewer"],
            effective_at=timezone.now() - timedelta(minutes=1),
        )


def test_an_older_scheduled_version_never_overrides_a_newer_active_one(world, policy):
    reviewer, author = world.people["reviewer"], world.people["author"]
    services.policy_version_publish(
        version=version(policy, 3), by=reviewer, effective_at=timezone.now() + timedelta(hours=1)
    )
    services.policy_version_approve(version=version(policy, 2), by=reviewer)
    v4 = services.policy_version_create(policy=policy, by=author)
    services.policy_version_submit(version=v4, by=author)
    services.policy_version_approve(version=v4, by=reviewer)
    services.policy_version_publish(version=v4, by=reviewer)
    assert version(policy, 3).publish_at is None  # cancelled when 4 became active
    assert services.policy_versions_activate_due(now=timezone.now() + timedelta(hours=2)) == []
    assert version(policy, 4).state == VersionState.ACTIVE


def test_the_database_allows_one_active_version_per_policy(world, policy):
    services.policy_version_publish(version=version(policy, 3), by=world.people["reviewer"])
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.filter(pk=version(policy, 2).pk).update(state=VersionState.ACTIVE)


@pytest.mark.parametrize("column", ["document_text", "content_hash", "number"])
def test_the_database_refuses_to_change_a_version_that_left_draft(world, policy, column):
    target = version(policy, 2)
    value = {"document_text": "{}", "content_hash": "f" * 64, "number": 99}[column]
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        PolicyVersion.objects.filter(pk=target.pk).update(**{column: value})
    PolicyVersion.objects.filter(pk=version(policy, 1).pk).update(
        content_hash="f" * 64
    )  # drafts change


@pytest.mark.skipif(connection.vendor != "postgresql", reason="delete guard is PostgreSQL's")
def test_postgres_refuses_to_delete_a_version_that_left_draft(world, policy):
    # The contributors guard or the version guard refuses, whichever Django deletes first.
    with (
        pytest.raises(DatabaseError, match=r"cannot be deleted|contributors"),
        transaction.atomic(),
    ):
        PolicyVersion.objects.filter(pk=version(policy, 2).pk).delete()


def test_publishing_an_older_version_over_a_newer_active_one_is_refused(world, policy):
    reviewer = world.people["reviewer"]
    services.policy_version_approve(version=version(policy, 2), by=reviewer)
    services.policy_version_publish(version=version(policy, 3), by=reviewer)
    with pytest.raises(Conflict) as error:
        services.policy_version_publish(version=version(policy, 2), by=reviewer)
    assert error.value.code == "older_than_active"
    assert version(policy, 3).state == VersionState.ACTIVE


def test_a_copy_keeps_the_contributors_of_its_source(world, policy):
    owner, author = world.people["owner"], world.people["author"]
    copy = services.policy_version_create(policy=policy, by=owner, based_on=version(policy, 1))
    services.policy_version_submit(version=copy, by=owner)
    with pytest.raises(PermissionRefused):
        services.policy_version_approve(version=copy, by=author)  # wrote the source


def test_submission_pins_the_templates_it_names(world, policy):
    from apps.catalogs.constants import CatalogKind
    from apps.catalogs.models import Template
    from apps.catalogs.services import catalog_entry_update

    submitted = version(policy, 2)
    assert submitted.template_pins == {"check-in-after-proposal": 1}
    template = Template.objects.get(organization=world.org, key="check-in-after-proposal")
    catalog_entry_update(
        entry=template,
        by=world.people["author"],
        kind=CatalogKind.TEMPLATES,
        values={"body": "Changed"},
    )
    assert version(policy, 2).template_pins == {"check-in-after-proposal": 1}


def test_a_team_named_by_a_live_version_cannot_be_deleted(world):
    from apps.organizations.services import team_delete

    with pytest.raises(Conflict) as error:
        team_delete(team=world.team, by=world.people["owner"])
    assert "Pipeline v1" in error.value.message


@pytest.mark.parametrize(
    ("number", "changes", "message"),
    [
        (3, {"state": VersionState.DRAFT}, "transition"),  # approved back to draft
        (2, {"state": VersionState.ACTIVE}, "transition"),  # skipping approval
        (3, {"approved_hash": "0" * 64}, "immutable"),
        (3, {"review_comment": "rewritten"}, "immutable"),
        (2, {"template_pins": {"x": 9}}, "immutable"),
    ],
)
def test_the_database_enforces_the_life_cycle(world, policy, number, changes, message):
    with pytest.raises(DatabaseError, match=message), transaction.atomic():
        PolicyVersion.objects.filter(pk=version(policy, number).pk).update(**changes)


def test_the_database_fixes_the_contributors_of_a_submitted_version(world, policy):
    with pytest.raises(DatabaseError, match="contributors"), transaction.atomic():
        version(policy, 2).contributors.add(world.people["reviewer"])
