"""The audit trail is tamper-evident: verification names the first event altered, removed,
inserted or moved directly in SQL, and signed checkpoints catch a chain recomputed end to
end — including against checkpoints an auditor kept when the database's were replaced."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.audit.constants import GENESIS_HASH
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.services import audit_checkpoints_take, event_hash
from apps.audit.verification import audit_verify, checkpoint_document
from tests.audit.tampering import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(world):
    events = list(AuditEvent.objects.filter(organization=world.org).order_by("seq"))
    assert len(events) > 12
    return world


def _verify(world, **kwargs):
    return audit_verify(organization=world.org, **kwargs)


def test_an_untouched_chain_verifies_with_its_checkpoints(chain):
    audit_checkpoints_take()
    result = _verify(chain)
    assert result.ok, result.problems
    assert result.head_seq == AuditEvent.objects.filter(organization=chain.org).count()
    assert result.checkpoints_checked == 1
    assert audit_checkpoints_take() == []  # nothing new to sign


def test_an_altered_event_is_named(chain):
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET object_repr = 'nothing to see' "
            "WHERE organization_id = %s AND seq = 5",
            [chain.org.pk],
        )
    problem = _verify(chain).problem
    assert (problem.kind, problem.seq) == ("altered", 5)


def test_a_removed_event_is_named(chain):
    with tampering() as sql:
        sql.execute(
            "DELETE FROM audit_auditevent WHERE organization_id = %s AND seq = 7", [chain.org.pk]
        )
    problem = _verify(chain).problem
    assert (problem.kind, problem.seq) == ("removed", 7)
    assert "#7" in problem.message


def test_an_inserted_event_is_named(chain):
    org = chain.org
    fourth = AuditEvent.objects.get(organization=org, seq=4)
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET seq = seq + 100000 WHERE organization_id = %s AND seq >= 5",
            [org.pk],
        )
        sql.execute(
            "UPDATE audit_auditevent SET seq = seq - 99999 WHERE organization_id = %s AND seq > 100000",
            [org.pk],
        )
        forged = AuditEvent(
            organization=org,
            seq=5,
            at=fourth.at,
            actor_type="user",
            actor="owner",
            verb="member.roles_changed",
            object_type="organizations.membership",
            object_id="1",
            object_repr="owner",
            prev_hash=fourth.hash,
        )
        forged.hash = event_hash(forged)
        forged.save(force_insert=True)
    problem = _verify(chain).problem
    assert (problem.kind, problem.seq) == ("inserted", 5)


def test_a_moved_event_is_named(chain):
    with tampering() as sql:
        for a, b in ((6, 1_000_000), (7, 6), (1_000_000, 7)):
            sql.execute(
                "UPDATE audit_auditevent SET seq = %s WHERE organization_id = %s AND seq = %s",
                [b, chain.org.pk, a],
            )
    problem = _verify(chain).problem
    assert problem.kind == "reordered"
    assert problem.seq == 6
    assert "written as #7" in problem.message


def _recompute_from(org, seq: int, change: str):
    """Alter event `seq` and rewrite every hash after it: the chain alone then verifies."""
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET object_repr = %s WHERE organization_id = %s AND seq = %s",
            [change, org.pk, seq],
        )
        previous = AuditEvent.objects.get(organization=org, seq=seq - 1).hash
        for event in AuditEvent.objects.filter(organization=org, seq__gte=seq).order_by("seq"):
            event.prev_hash = previous
            event.hash = event_hash(event)
            sql.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [event.prev_hash, event.hash, event.pk],
            )
            previous = event.hash


def test_checkpoints_catch_a_fully_recomputed_chain(chain):
    audit_checkpoints_take()
    _recompute_from(chain.org, 3, "rewritten history")
    result = _verify(chain)
    assert [p.kind for p in result.problems] == ["rewritten"]
    assert result.problem.seq == 1  # somewhere between #1 and the checkpoint's head


def test_checkpoints_kept_outside_catch_what_replaced_the_databases(chain):
    audit_checkpoints_take()
    kept = [checkpoint_document(c) for c in AuditCheckpoint.objects.filter(organization=chain.org)]
    _recompute_from(chain.org, 3, "rewritten history")
    with tampering() as sql:
        sql.execute("DELETE FROM audit_auditcheckpoint WHERE organization_id = %s", [chain.org.pk])
    assert _verify(chain).ok  # the database alone can no longer tell
    assert _verify(chain, checkpoints=kept).problem.kind == "rewritten"


def test_a_forged_checkpoint_is_refused(chain):
    audit_checkpoints_take()
    forged = checkpoint_document(AuditCheckpoint.objects.get(organization=chain.org))
    forged["hash"] = GENESIS_HASH
    assert _verify(chain, checkpoints=[forged]).problem.kind == "bad_checkpoint"


def test_a_cut_tail_is_caught_by_the_checkpoint(chain):
    audit_checkpoints_take()
    head = AuditEvent.objects.filter(organization=chain.org).order_by("-seq").first()
    with tampering() as sql:
        sql.execute("DELETE FROM audit_auditevent WHERE id = %s", [head.pk])
    problem = _verify(chain).problem
    assert problem.kind == "removed"
    assert problem.seq == head.seq


def test_the_command_reports_and_fails(chain, tmp_path):
    audit_checkpoints_take()
    out = StringIO()
    call_command("verify_audit", chain.org.slug, stdout=out)
    assert "OK" in out.getvalue()
    kept = tmp_path / "kept.json"
    kept.write_text(
        json.dumps(
            [checkpoint_document(c) for c in AuditCheckpoint.objects.filter(organization=chain.org)]
        )
    )
    with tampering() as sql:
        sql.execute(
            "UPDATE audit_auditevent SET verb = 'x' WHERE organization_id = %s AND seq = 2",
            [chain.org.pk],
        )
    errors = StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("verify_audit", chain.org.slug, checkpoints=kept, stderr=errors)
    assert failed.value.code == 1
    assert "altered" in errors.getvalue()
    assert "#2" in errors.getvalue()


def _documents(world):
    return [checkpoint_document(c) for c in AuditCheckpoint.objects.filter(organization=world.org)]


def test_a_kept_copy_of_the_databases_checkpoint_counts_once(chain):
    audit_checkpoints_take()
    result = _verify(chain, checkpoints=_documents(chain) * 2)
    assert result.ok, result.problems
    assert result.checkpoints_checked == 1


def test_a_forged_statement_of_the_same_event_is_still_checked(chain):
    audit_checkpoints_take()
    (forged,) = _documents(chain)
    forged["signature"] = "0" * 64
    result = _verify(chain, checkpoints=[forged])
    assert result.checkpoints_checked == 2
    assert not result.ok


def test_the_command_counts_one_checkpoint_in_the_singular(chain, tmp_path):
    audit_checkpoints_take()
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps(_documents(chain)))
    out = StringIO()
    call_command("verify_audit", chain.org.slug, checkpoints=kept, stdout=out)
    assert "1 checkpoint holds" in out.getvalue()
    assert "checkpoints hold" not in out.getvalue()
