"""Exports an auditor accepts: the decision log and the audit trail as CSV or JSON, produced
as generators of text chunks. Rows are read a page at a time by keyset (the decision log's
(evaluated_at, id) cursor, the audit chain's seq), so memory stays flat however many millions
of rows an export holds, and the first bytes leave before the last row is read.

Decisions come newest first, the decision log's own order; audit events come in chain order
(seq ascending), so that each event's prev_hash is the hash on the line before it. JSON is
one array, written element by element. In CSV, a cell that a spreadsheet would run as a
formula (one starting with = + - @, a tab or a carriage return) is prefixed with a single
quote; the JSON carries every value exactly."""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from apps.audit.selectors import audit_events_list
from apps.checks.selectors import decisions_list

# Rows read per query: large enough that the round trips do not matter, small enough that a
# page of wide rows (a decision's request and reasons) stays a few megabytes.
CHUNK_ROWS = 2000

# Leading characters that make spreadsheets evaluate a cell (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class DecisionFilters:
    """The decision log's filters (apps.checks.selectors.decisions_list)."""

    agent: str = ""
    action: str = ""
    decision: str = ""
    reason: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditFilters:
    """The audit trail's filters: verb (a prefix: "policy_version." matches them all), actor
    label, object type, the time range [since, until), and verbs left out (by beginning)."""

    verb: str = ""
    actor: str = ""
    object_type: str = ""
    since: datetime | None = None
    until: datetime | None = None
    exclude_verbs: tuple[str, ...] = ()


# (column, ORM path) in export order. JSON columns are nested in JSON and JSON text in CSV.
DECISION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("decision_id", "decision_id"),
    ("evaluated_at", "evaluated_at"),
    ("agent", "agent__key"),
    ("key_prefix", "key_prefix"),
    ("policy", "policy__key"),
    ("policy_version", "policy_version__number"),
    ("policy_version_hash", "policy_version__content_hash"),
    ("action", "action"),
    ("decision", "decision"),
    ("primary_reason", "primary_reason"),
    ("reason_codes", "reason_codes"),
    ("reasons", "reasons"),
    ("obligations", "obligations"),
    ("request", "request"),
    ("masked_paths", "masked_paths"),
    ("request_id", "request_id"),
    ("evaluation_us", "evaluation_us"),
    ("error", "error"),
)

AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "seq"),
    ("at", "at"),
    ("actor_type", "actor_type"),
    ("actor", "actor"),
    ("verb", "verb"),
    ("object_type", "object_type"),
    ("object_id", "object_id"),
    ("object_repr", "object_repr"),
    ("before", "before"),
    ("after", "after"),
    ("ip", "ip"),
    ("user_agent", "user_agent"),
    ("via", "via"),
    ("prev_hash", "prev_hash"),
    ("hash", "hash"),
)
# Columns holding JSON: read as the database's JSON text and written out as it is, never
# decoded and encoded again (half the cost of an export otherwise).
DECISION_JSON = frozenset({"reason_codes", "reasons", "obligations", "request", "masked_paths"})
AUDIT_JSON = frozenset({"before", "after"})


class RawJSON(str):
    """JSON text as the database holds it: valid JSON, passed through untouched."""


def _selected(queryset: Any, columns: tuple[tuple[str, str], ...], raw: frozenset[str]) -> Any:
    """values_list of the columns (after the pk), JSON ones cast to their text."""
    annotations = {f"text_{name}": Cast(path, TextField()) for name, path in columns if name in raw}
    fields = [f"text_{name}" if name in raw else path for name, path in columns]
    return queryset.annotate(**annotations).values_list("pk", *fields)


def _row(names: list[str], values: tuple[Any, ...], raw: frozenset[str]) -> dict[str, Any]:
    return {
        name: RawJSON(value) if name in raw and value is not None else value
        for name, value in zip(names, values, strict=True)
    }


# ---- reading in pages --------------------------------------------------------------------


def decision_pages(
    *, organization: Any, filters: DecisionFilters, chunk_rows: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The filtered decisions, newest first, one page per query: each page starts after the
    last row of the one before (the decision log's keyset cursor), never at an OFFSET."""
    size = chunk_rows or CHUNK_ROWS
    paths = [path for _, path in DECISION_COLUMNS]
    names = [name for name, _ in DECISION_COLUMNS]
    before: tuple[datetime, int] | None = None
    while True:
        rows = decisions_list(
            organization=organization,
            agent=filters.agent,
            action=filters.action,
            decision=filters.decision,
            reason=filters.reason,
            since=filters.since,
            until=filters.until,
            before=before,
        )
        page = list(_selected(rows, DECISION_COLUMNS, DECISION_JSON)[:size])
        if not page:
            return
        yield [_row(names, row[1:], DECISION_JSON) for row in page]
        if len(page) < size:
            return
        last = page[-1]
        before = (last[1 + paths.index("evaluated_at")], last[0])


def audit_pages(
    *, organization: Any, filters: AuditFilters, chunk_rows: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """The filtered audit events in chain order, one page per query after the last seq."""
    size = chunk_rows or CHUNK_ROWS
    names = [name for name, _ in AUDIT_COLUMNS]
    events = audit_events_list(
        organization=organization,
        verb=filters.verb,
        actor=filters.actor,
        object_type=filters.object_type,
        since=filters.since,
        until=filters.until,
        exclude_verbs=filters.exclude_verbs,
    ).order_by("seq")
    after = 0
    while True:
        page = list(_selected(events.filter(seq__gt=after), AUDIT_COLUMNS, AUDIT_JSON)[:size])
        if not page:
            return
        yield [_row(names, row[1:], AUDIT_JSON) for row in page]
        if len(page) < size:
            return
        after = page[-1][1]


# ---- formats -----------------------------------------------------------------------------


def _json_text(value: Any) -> str:
    if isinstance(value, RawJSON):
        return value
    if isinstance(value, datetime):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def csv_cell(value: Any) -> Any:
    """One CSV cell: times in ISO 8601, JSON values as JSON text, and text that a
    spreadsheet would evaluate as a formula defused with a leading single quote."""
    if isinstance(value, str):  # most cells, the JSON text read from the database too
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(
    columns: Sequence[str], pages: Iterable[list[dict[str, Any]]], *, header: bool = True
) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quoted where needed): the header line first, then one
    chunk of text per page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(columns)
        yield buffer.getvalue()
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_cell(row[name]) for name in columns] for row in page)
        yield buffer.getvalue()


def json_array_chunks(pages: Iterable[list[dict[str, Any]]]) -> Iterator[str]:
    """One JSON array, an element per line, written a page at a time."""
    yield "["
    separator = "\n"
    for page in pages:
        parts = []
        for row in page:
            fields = ", ".join(f"{json.dumps(k)}: {_json_text(v)}" for k, v in row.items())
            parts.append(separator + "{" + fields + "}")
            separator = ",\n"
        yield "".join(parts)
    yield "\n]\n"


# ---- the exports -------------------------------------------------------------------------


def decisions_csv(
    *, organization: Any, filters: DecisionFilters, chunk_rows: int | None = None
) -> Iterator[str]:
    pages = decision_pages(organization=organization, filters=filters, chunk_rows=chunk_rows)
    return csv_chunks([name for name, _ in DECISION_COLUMNS], pages)


def decisions_json(
    *, organization: Any, filters: DecisionFilters, chunk_rows: int | None = None
) -> Iterator[str]:
    return json_array_chunks(
        decision_pages(organization=organization, filters=filters, chunk_rows=chunk_rows)
    )


def audit_csv(
    *, organization: Any, filters: AuditFilters, chunk_rows: int | None = None
) -> Iterator[str]:
    pages = audit_pages(organization=organization, filters=filters, chunk_rows=chunk_rows)
    return csv_chunks([name for name, _ in AUDIT_COLUMNS], pages)


def audit_json(
    *, organization: Any, filters: AuditFilters, chunk_rows: int | None = None
) -> Iterator[str]:
    return json_array_chunks(
        audit_pages(organization=organization, filters=filters, chunk_rows=chunk_rows)
    )


Exporter = Callable[..., Iterator[str]]

EXPORTS: dict[tuple[str, str], Exporter] = {
    ("decisions", "csv"): decisions_csv,
    ("decisions", "json"): decisions_json,
    ("audit", "csv"): audit_csv,
    ("audit", "json"): audit_json,
}
