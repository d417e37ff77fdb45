"""Verifying an organization's audit trail: walk the hash chain from the first event and
name the first one that was altered, removed, inserted or moved; then hold the chain
against the signed checkpoints (the database's and any an auditor kept), which catch a
chain recomputed end to end by whoever could write the table."""

import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from apps.audit.constants import GENESIS_HASH, Problem
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.services import canonical_json, event_hash
from apps.organizations.models import Organization

# How far a moved event is looked for (by the sequence number its hash was written with).
REORDER_REACH = 8
CHUNK = 2000


def checkpoint_key() -> bytes:
    """The signing key: MANDATE_AUDIT_CHECKPOINT_KEY, or one derived from the secret key.
    Either lives in the environment, never in the database."""
    configured = settings.MANDATE_AUDIT_CHECKPOINT_KEY
    material = configured or "mandate-audit-checkpoint:" + settings.SECRET_KEY
    return hashlib.sha256(material.encode()).digest()


def checkpoint_key_id(key: bytes | None = None) -> str:
    return hashlib.sha256(key or checkpoint_key()).hexdigest()[:16]


def checkpoint_statement(*, organization_id: int, seq: int, hash: str, at: str) -> str:
    return canonical_json({"organization_id": organization_id, "seq": seq, "hash": hash, "at": at})


def checkpoint_signature(statement: str, key: bytes | None = None) -> str:
    return hmac.new(key or checkpoint_key(), statement.encode(), hashlib.sha256).hexdigest()


def checkpoint_document(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """The statement as an auditor downloads and keeps it."""
    return {
        "organization": checkpoint.organization.slug,
        "organization_id": checkpoint.organization_id,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "at": checkpoint.at.isoformat(),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


@dataclass(frozen=True)
class Finding:
    kind: str
    seq: int
    message: str


@dataclass
class Verification:
    organization: str
    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    checkpoints_checked: int = 0
    problems: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem(self) -> Finding | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _hash_as_written(event: AuditEvent, seq: int) -> str:
    original = event.seq
    event.seq = seq
    try:
        return event_hash(event)
    finally:
        event.seq = original


def _walk(
    organization: Organization, result: Verification, seen: dict[int, str], wanted: set[int]
) -> None:
    """Walk the chain in order, holding only the hashes the checkpoints name (memory stays
    flat however long the chain)."""
    events = AuditEvent.objects.filter(organization=organization).order_by("seq")
    previous: AuditEvent | None = None
    before_previous_hash = GENESIS_HASH
    for event in events.iterator(chunk_size=CHUNK):
        result.events += 1
        if event.seq in wanted:
            seen[event.seq] = event.hash
        expected_seq = previous.seq + 1 if previous else 1
        expected_prev = previous.hash if previous else GENESIS_HASH
        if event_hash(event) != event.hash:
            moved_from = next(
                (
                    s
                    for s in range(event.seq - REORDER_REACH, event.seq + REORDER_REACH + 1)
                    if s > 0 and s != event.seq and _hash_as_written(event, s) == event.hash
                ),
                None,
            )
            if moved_from is None:
                result.problems.append(
                    Finding(
                        Problem.ALTERED,
                        event.seq,
                        f"Event #{event.seq} ({event.verb}) was altered: its content no longer "
                        "matches its hash.",
                    )
                )
            elif (
                previous is not None
                and moved_from == event.seq - 1
                and event.prev_hash == before_previous_hash
            ):
                # Written one place earlier, right after the event before its predecessor:
                # that predecessor was put in between.
                result.problems.append(
                    Finding(
                        Problem.INSERTED,
                        expected_seq - 1,
                        f"Event #{expected_seq - 1} was inserted: #{event.seq} ({event.verb}) "
                        f"was written as #{moved_from}, directly after #{expected_seq - 2}.",
                    )
                )
            else:
                result.problems.append(
                    Finding(
                        Problem.REORDERED,
                        event.seq,
                        f"Event #{event.seq} ({event.verb}) was moved: it was written as "
                        f"#{moved_from}.",
                    )
                )
            return
        if event.seq != expected_seq:
            missing = (
                f"#{expected_seq}"
                if event.seq == expected_seq + 1
                else f"#{expected_seq} to #{event.seq - 1}"
            )
            result.problems.append(
                Finding(
                    Problem.REMOVED,
                    expected_seq,
                    f"Event {missing} removed: #{event.seq} follows #{expected_seq - 1}.",
                )
            )
            return
        if event.prev_hash != expected_prev:
            result.problems.append(
                Finding(
                    Problem.INSERTED if previous else Problem.ALTERED,
                    expected_seq - 1 if previous else event.seq,
                    f"Event #{event.seq} does not follow #{expected_seq - 1} in the chain: "
                    f"#{expected_seq - 1} was put in its place.",
                )
            )
            return
        before_previous_hash = previous.hash if previous else GENESIS_HASH
        previous = event
    if previous is not None:
        result.head_seq, result.head_hash = previous.seq, previous.hash


def _hold_against(
    result: Verification, seen: dict[int, str], checkpoints: list[dict[str, Any]]
) -> None:
    key = checkpoint_key()
    key_id = checkpoint_key_id(key)
    good_up_to = 0
    for checkpoint in sorted(checkpoints, key=lambda c: int(c["seq"])):
        result.checkpoints_checked += 1
        seq, at = int(checkpoint["seq"]), str(checkpoint["at"])
        statement = checkpoint_statement(
            organization_id=int(checkpoint["organization_id"]),
            seq=seq,
            hash=str(checkpoint["hash"]),
            at=at,
        )
        if checkpoint.get("key_id") != key_id or not hmac.compare_digest(
            checkpoint_signature(statement, key), str(checkpoint.get("signature", ""))
        ):
            result.problems.append(
                Finding(
                    Problem.BAD_CHECKPOINT,
                    seq,
                    f"The checkpoint of #{seq} at {at} is not signed with this deployment's "
                    "key: it was forged, altered, or signed with a key since replaced.",
                )
            )
            continue
        if seq not in seen:
            if seq > result.head_seq and not result.problems:
                result.problems.append(
                    Finding(
                        Problem.REMOVED,
                        result.head_seq + 1,
                        f"Events after #{result.head_seq} were removed: the checkpoint of "
                        f"{at} attests #{seq}.",
                    )
                )
            continue
        if seen[seq] != checkpoint["hash"]:
            result.problems.append(
                Finding(
                    Problem.REWRITTEN,
                    good_up_to + 1,
                    f"The chain was rewritten: event #{seq} is not what the checkpoint of {at} "
                    f"signed; the first rewritten event is between #{good_up_to + 1} and "
                    f"#{seq}.",
                )
            )
            return
        good_up_to = seq


def audit_verify(
    *, organization: Organization, checkpoints: list[dict[str, Any]] | None = None
) -> Verification:
    """The chain's state: every problem found, the first one first. `checkpoints` adds
    statements an auditor kept to those the database holds."""
    result = Verification(organization=organization.slug)
    held = [
        checkpoint_document(c)
        for c in AuditCheckpoint.objects.filter(organization=organization).select_related(
            "organization"
        )
    ]
    kept = [c for c in checkpoints or [] if int(c.get("organization_id", -1)) == organization.pk]
    # An auditor's file usually holds the database's own checkpoints again: each statement
    # (organization, seq, signature) is checked and counted once.
    distinct = {
        (int(c["organization_id"]), int(c["seq"]), str(c.get("signature", ""))): c
        for c in held + kept
    }
    statements = list(distinct.values())
    seen: dict[int, str] = {}
    _walk(organization, result, seen, {int(c["seq"]) for c in statements})
    _hold_against(result, seen, statements)
    return result
