"""The evidence package: everything an auditor asks for about one organization and one
period, in one zip written entry by entry to a file (never built in memory).

    summary.html                   printable summary (no scripts, its own CSS)
    manifest.json                  organization, period, verification, SHA-256 of every file
    policies/versions.csv|json     each version in force during the period: its review record
    policies/<policy>/v<n>.yaml|json   the documents themselves
    decisions/statistics.csv|json  decisions by agent, action and decision (counted by the
                                   database), with the outcomes agents reported
    humans/approvals.csv|json      approvals created in the period, with their timings and
                                   the final draft of an edited one
    humans/handoffs.csv|json       handoffs created in the period, with their timings
    audit/events.csv|json          the change log: every audit event of the period, with the
                                   hashes that chain them
    audit/checkpoints.csv|json     the signed checkpoints (the JSON is what verify_audit
                                   --checkpoints reads)
    audit/verification.json        the chain verified end to end when the package was made

Every part is read in one snapshot of the database (REPEATABLE READ on PostgreSQL), so its
counts agree with each other. The period is [since, until), like the decision log's filters.
Making a package is recorded as an `evidence.exported` event carrying the zip's SHA-256.
"""

import hashlib
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.template.loader import render_to_string
from django.utils import timezone

from apps.audit.exports import (
    AUDIT_COLUMNS,
    AuditFilters,
    audit_pages,
    csv_chunks,
    json_array_chunks,
)
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.retention import DIGEST_OF
from apps.audit.services import audit_record
from apps.audit.verification import audit_verify, checkpoint_document
from apps.checks.models import Decision
from apps.humans.models import Approval, Handoff
from apps.policies import document
from apps.policies.models import PolicyVersion

FORMAT = "mandate-evidence/1"
SUMMARY_TEMPLATE = "audit/evidence_summary.html"
CHUNK_ROWS = 2000
# The summary lists governance changes one by one up to this many (all are in audit/events).
SUMMARY_MAX_CHANGES = 300
SUMMARY_MAX_STATISTICS = 200
# Verbs of the human loop's daily work: counted in the summary, not listed as changes.
ROUTINE_VERBS = ("approval.", "handoff.", "decision.", "decisions.", "evidence.")


@dataclass(frozen=True)
class PackedFile:
    """One file of the package, as the manifest lists it."""

    name: str
    sha256: str
    bytes: int
    rows: int | None = None


@dataclass
class Package:
    """What was written: the files with their hashes, and the figures of the summary."""

    organization: str
    since: datetime
    until: datetime
    generated_at: datetime
    generated_by: str
    files: list[PackedFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    verification_ok: bool = False
    sha256: str = ""
    size: int = 0
    event_seq: int | None = None


def period_clean(
    *, organization: Any, since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """[since, until): by default from the organization's creation to now. A period that
    ends before it starts holds nothing, as the decision log's filters read it."""
    return since or organization.created_at, until or now


# ---- writing the zip ---------------------------------------------------------------------


class _Zip:
    """A zip written one entry at a time, each hashed as it is written."""

    def __init__(self, out: IO[bytes], moment: datetime) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.date_time = moment.timetuple()[:6]
        self.files: list[PackedFile] = []

    def write(self, name: str, chunks: Iterable[str], rows: list[int] | None = None) -> None:
        """Write text chunks as one entry; `rows` is a counter filled while they are made."""
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        digest, size = hashlib.sha256(), 0
        with self.zip.open(info, "w", force_zip64=True) as entry:
            for chunk in chunks:
                data = chunk.encode()
                entry.write(data)
                digest.update(data)
                size += len(data)
        self.files.append(PackedFile(name, digest.hexdigest(), size, rows[0] if rows else None))

    def write_table(
        self,
        stem: str,
        columns: list[str],
        pages: Callable[[], Iterable[list[dict[str, Any]]]],
        tally: Callable[[dict[str, Any]], None] | None = None,
    ) -> int:
        """`stem`.csv and `stem`.json from the same rows: `pages` is called once for each,
        and `tally` sees every row once. Returns the number of rows."""

        def tallied() -> Iterator[list[dict[str, Any]]]:
            for page in pages():
                if tally is not None:
                    for row in page:
                        tally(row)
                yield page

        counted = [0]
        self.write(f"{stem}.csv", csv_chunks(columns, _counted(tallied(), counted)), counted)
        json_counted = [0]
        self.write(f"{stem}.json", json_array_chunks(_counted(pages(), json_counted)), json_counted)
        return counted[0]

    def close(self) -> None:
        self.zip.close()


def _counted(pages: Iterable[list[dict[str, Any]]], counter: list[int]) -> Iterator[list[dict]]:
    for page in pages:
        counter[0] += len(page)
        yield page


def _keyset_pages(queryset: Any, columns: tuple[tuple[str, str], ...]) -> Iterator[list[dict]]:
    """Rows by id, a page per query after the last id."""
    names = [name for name, _ in columns]
    paths = [path for _, path in columns]
    after = 0
    while True:
        page = list(
            queryset.filter(pk__gt=after).order_by("pk").values_list("pk", *paths)[:CHUNK_ROWS]
        )
        if not page:
            return
        yield [dict(zip(names, row[1:], strict=True)) for row in page]
        if len(page) < CHUNK_ROWS:
            return
        after = page[-1][0]


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the database for the whole package."""
    if connection.in_atomic_block:
        yield  # already inside a transaction (a test, or a caller's): read in it
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds())


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


class _Timing:
    """Count, mean and maximum of durations, and how many were within their due time."""

    def __init__(self) -> None:
        self.count = self.total = self.longest = self.in_time = 0

    def add(self, seconds: int | None, in_time: bool | None) -> None:
        if seconds is None:
            return
        self.count += 1
        self.total += seconds
        self.longest = max(self.longest, seconds)
        if in_time:
            self.in_time += 1

    def as_dict(self) -> dict[str, Any]:
        mean = self.total / self.count if self.count else None
        return {
            "count": self.count,
            "mean": _duration(mean),
            "longest": _duration(self.longest if self.count else None),
            "in_time": self.in_time,
            "in_time_share": f"{100 * self.in_time / self.count:.0f} %" if self.count else "—",
        }


# ---- the parts ---------------------------------------------------------------------------

VERSION_COLUMNS = [
    "policy",
    "policy_name",
    "version",
    "state",
    "in_force_from",
    "in_force_until",
    "author",
    "contributors",
    "submitted_by",
    "submitted_at",
    "reviewer",
    "reviewed_at",
    "approval_comment",
    "approved_hash",
    "content_hash",
    "document_matches_hash",
    "approved_hash_matches",
    "publish_at",
    "published_by",
    "published_at",
    "superseded_at",
    "based_on",
    "template_pins",
    "document_yaml",
    "document_json",
]


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _versions_in_force(organization: Any, since: datetime, until: datetime) -> list[dict]:
    """Every version active at some moment of [since, until), with its review record."""
    versions = (
        PolicyVersion.objects.filter(
            organization=organization, activated_at__isnull=False, activated_at__lt=until
        )
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=since))
        .select_related(
            "policy", "author", "submitted_by", "reviewed_by", "published_by", "based_on"
        )
        .prefetch_related("contributors")
        .order_by("policy__key", "number")
    )
    records = []
    for version in versions:
        doc = version.document
        folder = f"policies/{version.policy.key}/v{version.number}"
        records.append(
            {
                "policy": version.policy.key,
                "policy_name": version.policy.name,
                "version": version.number,
                "state": version.state,
                "in_force_from": max(version.activated_at, since),
                "in_force_until": min(version.superseded_at or until, until),
                "author": _username(version.author),
                "contributors": " ".join(sorted(_username(u) for u in version.contributors.all())),
                "submitted_by": _username(version.submitted_by),
                "submitted_at": version.submitted_at,
                "reviewer": _username(version.reviewed_by),
                "reviewed_at": version.reviewed_at,
                "approval_comment": version.review_comment,
                "approved_hash": version.approved_hash,
                "content_hash": version.content_hash,
                "document_matches_hash": document.content_hash(doc) == version.content_hash,
                "approved_hash_matches": version.approved_hash == version.content_hash,
                "publish_at": version.publish_at,
                "published_by": _username(version.published_by),
                "published_at": version.activated_at,
                "superseded_at": version.superseded_at,
                "based_on": version.based_on.number if version.based_on else None,
                "template_pins": version.template_pins,
                "document_yaml": f"{folder}.yaml",
                "document_json": f"{folder}.json",
                "_document": doc,
            }
        )
    return records


STATISTICS_COLUMNS = [
    "agent",
    "action",
    "decision",
    "decisions",
    "reported_executed",
    "reported_not_executed",
    "first_evaluated_at",
    "last_evaluated_at",
]


def _decision_statistics(organization: Any, since: datetime, until: datetime) -> list[dict]:
    """Counted by the database: one row per (agent, action, decision) of the period."""
    rows = (
        Decision.objects.filter(
            organization=organization, evaluated_at__gte=since, evaluated_at__lt=until
        )
        .values("agent__key", "action", "decision")
        .annotate(
            decisions=Count("id"),
            reported_executed=Count("outcome", filter=Q(outcome__executed=True)),
            reported_not_executed=Count("outcome", filter=Q(outcome__executed=False)),
            first_evaluated_at=Min("evaluated_at"),
            last_evaluated_at=Max("evaluated_at"),
        )
        .order_by("agent__key", "action", "decision")
    )
    return [{"agent": row.pop("agent__key"), **row} for row in rows]


APPROVAL_FIELDS: tuple[tuple[str, str], ...] = (
    ("approval_id", "public_id"),
    ("decision_id", "decision__decision_id"),
    ("agent", "agent__key"),
    ("action", "action"),
    ("team", "team__key"),
    ("status", "status"),
    ("created_at", "created_at"),
    ("due_at", "due_at"),
    ("reminded_at", "reminded_at"),
    ("decided_at", "decided_at"),
    ("decided_by", "decided_by__username"),
    ("comment", "comment"),
    ("final_draft", "final_draft"),  # what was sent after an edit; JSON text in the CSV
)
APPROVAL_COLUMNS = [name for name, _ in APPROVAL_FIELDS] + [
    "seconds_to_decision",
    "decided_in_time",
]

HANDOFF_FIELDS: tuple[tuple[str, str], ...] = (
    ("handoff_id", "public_id"),
    ("decision_id", "decision__decision_id"),
    ("agent", "agent__key"),
    ("action", "action"),
    ("reason", "reason"),
    ("team", "team__key"),
    ("status", "status"),
    ("created_at", "created_at"),
    ("due_at", "due_at"),
    ("claimed_at", "claimed_at"),
    ("assignee", "assignee__username"),
    ("closed_at", "closed_at"),
    ("closed_by", "closed_by__username"),
    ("resolution", "resolution"),
    ("overdue_notified_at", "overdue_notified_at"),
)
HANDOFF_COLUMNS = [name for name, _ in HANDOFF_FIELDS] + [
    "seconds_to_claim",
    "seconds_to_close",
    "answered_in_time",
]


def _approval_pages(organization: Any, since: datetime, until: datetime) -> Iterator[list[dict]]:
    approvals = Approval.objects.filter(
        organization=organization, created_at__gte=since, created_at__lt=until
    )
    for page in _keyset_pages(approvals, APPROVAL_FIELDS):
        for row in page:
            row["seconds_to_decision"] = _seconds(row["created_at"], row["decided_at"])
            row["decided_in_time"] = (
                row["decided_at"] <= row["due_at"] if row["decided_at"] else None
            )
        yield page


def _handoff_pages(organization: Any, since: datetime, until: datetime) -> Iterator[list[dict]]:
    handoffs = Handoff.objects.filter(
        organization=organization, created_at__gte=since, created_at__lt=until
    )
    for page in _keyset_pages(handoffs, HANDOFF_FIELDS):
        for row in page:
            answered = row["claimed_at"] or row["closed_at"]
            row["seconds_to_claim"] = _seconds(row["created_at"], row["claimed_at"])
            row["seconds_to_close"] = _seconds(row["created_at"], row["closed_at"])
            row["answered_in_time"] = answered <= row["due_at"] if answered else None
        yield page


CHECKPOINT_COLUMNS = ["organization", "organization_id", "seq", "hash", "at", "key_id", "signature"]


def _checkpoints(organization: Any) -> list[dict]:
    checkpoints = (
        AuditCheckpoint.objects.filter(organization=organization)
        .select_related("organization")
        .order_by("seq")
    )
    return [checkpoint_document(checkpoint) for checkpoint in checkpoints]


# ---- the package -------------------------------------------------------------------------


def evidence_package_write(
    *,
    organization: Any,
    since: datetime,
    until: datetime,
    out: IO[bytes],
    generated_by: str,
    now: datetime | None = None,
) -> Package:
    """Write the package for [since, until) to `out` (a file open for binary writing)."""
    now = now or timezone.now()
    package = Package(
        organization=organization.slug,
        since=since,
        until=until,
        generated_at=now,
        generated_by=generated_by,
    )
    archive = _Zip(out, now)
    with _snapshot():
        context = _write_parts(archive, package, organization)
    context["files"] = list(archive.files)
    archive.write("summary.html", [render_to_string(SUMMARY_TEMPLATE, context)])
    manifest = {
        "format": FORMAT,
        "organization": {"slug": organization.slug, "name": organization.name},
        "period": {"since": since.isoformat(), "until": until.isoformat()},
        "generated_at": now.isoformat(),
        "generated_by": generated_by,
        "counts": package.counts,
        "verification": context["verification"],
        "files": [
            {"name": f.name, "sha256": f.sha256, "bytes": f.bytes, "rows": f.rows}
            for f in archive.files
        ],
    }
    archive.write("manifest.json", [json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"])
    archive.close()
    package.files = list(archive.files)
    return package


def _write_parts(archive: _Zip, package: Package, organization: Any) -> dict[str, Any]:
    since, until = package.since, package.until

    versions = _versions_in_force(organization, since, until)
    for record in versions:
        doc = record["_document"]
        archive.write(record["document_yaml"], [document.export(doc, "yaml")])
        archive.write(record["document_json"], [document.export(doc, "json")])
    tables = [{k: v for k, v in r.items() if not k.startswith("_")} for r in versions]
    archive.write_table("policies/versions", VERSION_COLUMNS, lambda: iter([tables]))

    statistics = _decision_statistics(organization, since, until)
    archive.write_table("decisions/statistics", STATISTICS_COLUMNS, lambda: iter([statistics]))

    approvals_by_status: Counter[str] = Counter()
    approval_timing = _Timing()

    def tally_approval(row: dict[str, Any]) -> None:
        approvals_by_status[row["status"]] += 1
        approval_timing.add(row["seconds_to_decision"], row["decided_in_time"])

    approvals = archive.write_table(
        "humans/approvals",
        APPROVAL_COLUMNS,
        lambda: _approval_pages(organization, since, until),
        tally_approval,
    )

    handoffs_by_status: Counter[str] = Counter()
    claim_timing, close_timing = _Timing(), _Timing()

    def tally_handoff(row: dict[str, Any]) -> None:
        handoffs_by_status[row["status"]] += 1
        claim_timing.add(row["seconds_to_claim"], row["answered_in_time"])
        close_timing.add(row["seconds_to_close"], None)

    handoffs = archive.write_table(
        "humans/handoffs",
        HANDOFF_COLUMNS,
        lambda: _handoff_pages(organization, since, until),
        tally_handoff,
    )

    period_events = AuditEvent.objects.filter(
        organization=organization, at__gte=since, at__lt=until
    )
    filters = AuditFilters(since=since, until=until)
    archive.write_table(
        "audit/events",
        [name for name, _ in AUDIT_COLUMNS],
        lambda: audit_pages(organization=organization, filters=filters),
    )
    by_verb = list(
        period_events.values("verb").annotate(events=Count("id")).order_by("-events", "verb")
    )
    events = sum(row["events"] for row in by_verb)
    chain = period_events.aggregate(first=Min("seq"), last=Max("seq"))
    changes_query = period_events
    for verb in ROUTINE_VERBS:
        changes_query = changes_query.exclude(verb__startswith=verb)
    changes = list(
        changes_query.order_by("seq").values(
            "seq", "at", "actor", "verb", "object_type", "object_repr"
        )[: SUMMARY_MAX_CHANGES + 1]
    )
    expired = [
        event.after or {} for event in period_events.filter(verb="decisions.expired").only("after")
    ]

    checkpoints = _checkpoints(organization)
    archive.write_table("audit/checkpoints", CHECKPOINT_COLUMNS, lambda: iter([checkpoints]))
    verification = audit_verify(organization=organization)
    verified = verification.as_dict()
    archive.write("audit/verification.json", [json.dumps(verified, indent=2, default=str) + "\n"])

    by_decision: Counter[str] = Counter()
    by_agent: Counter[str] = Counter()
    for row in statistics:
        by_decision[row["decision"]] += row["decisions"]
        by_agent[row["agent"]] += row["decisions"]
    decisions = sum(by_decision.values())

    package.counts = {
        "policy_versions": len(versions),
        "decisions": decisions,
        "decision_statistics_rows": len(statistics),
        "approvals": approvals,
        "handoffs": handoffs,
        "audit_events": events,
        "checkpoints": len(checkpoints),
        "decisions_expired": sum(int(e.get("count", 0)) for e in expired),
    }
    package.verification_ok = verification.ok
    problem = verification.problem
    return {
        "organization": organization,
        "since": since,
        "until": until,
        "generated_at": package.generated_at,
        "generated_by": package.generated_by,
        "counts": package.counts,
        "verification": {
            "ok": verification.ok,
            "problem": problem.message if problem else "",
            "events": verified.get("events"),
            "head_seq": verified.get("head_seq"),
            "head_hash": verified.get("head_hash"),
            "checkpoints_checked": verified.get("checkpoints_checked"),
        },
        "chain": chain,
        "retention_days": organization.decision_retention_days,
        "expired_runs": len(expired),
        "digest_of": DIGEST_OF,
        "versions": tables,
        "statistics": statistics[:SUMMARY_MAX_STATISTICS],
        "statistics_truncated": len(statistics) > SUMMARY_MAX_STATISTICS,
        "by_decision": sorted(by_decision.items()),
        "by_agent": sorted(by_agent.items()),
        "approvals_by_status": sorted(approvals_by_status.items()),
        "approval_timing": approval_timing.as_dict(),
        "handoffs_by_status": sorted(handoffs_by_status.items()),
        "claim_timing": claim_timing.as_dict(),
        "close_timing": close_timing.as_dict(),
        "by_verb": by_verb,
        "changes": changes[:SUMMARY_MAX_CHANGES],
        "changes_truncated": len(changes) > SUMMARY_MAX_CHANGES,
    }


def _file_sha256(handle: IO[bytes]) -> tuple[str, int]:
    handle.seek(0)
    digest, size = hashlib.sha256(), 0
    while block := handle.read(1 << 20):
        digest.update(block)
        size += len(block)
    handle.seek(0)
    return digest.hexdigest(), size


def evidence_export(
    *,
    organization: Any,
    by: Any,
    since: datetime | None,
    until: datetime | None,
    out: IO[bytes],
    now: datetime | None = None,
) -> Package:
    """Write the evidence package to `out` (a seekable binary file, left at its start) and
    record the export, with the zip's SHA-256, as an `evidence.exported` event."""
    now = now or timezone.now()
    since, until = period_clean(organization=organization, since=since, until=until, now=now)
    if by is None or isinstance(by, str) or getattr(by, "is_agent", False):
        label = by if isinstance(by, str) else "system"
    else:
        label = by.get_username()
    package = evidence_package_write(
        organization=organization, since=since, until=until, out=out, generated_by=label, now=now
    )
    package.sha256, package.size = _file_sha256(out)
    with transaction.atomic():
        event = audit_record(
            organization=organization,
            by=by,
            verb="evidence.exported",
            object_type="audit.evidence",
            object_repr=f"Evidence {since.isoformat()} to {until.isoformat()}",
            after={
                "since": since.isoformat(),
                "until": until.isoformat(),
                "sha256": package.sha256,
                "bytes": package.size,
                "files": len(package.files),
                "counts": package.counts,
                "verification_ok": package.verification_ok,
            },
        )
    package.event_seq = event.seq
    return package


def evidence_filename(package: Package) -> str:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    return f"evidence-{package.organization}-{stamp(package.since)}-{stamp(package.until)}.zip"
