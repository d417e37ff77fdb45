"""Streaming exports of the decision log and the audit trail: the decision log's filters,
CSV an auditor can open in a spreadsheet safely, valid JSON, rows read a page at a time while
the response streams, and the tenancy rules of every management endpoint."""

import csv
import io
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from apps.agents.models import Agent
from apps.audit import exports
from apps.audit.models import AuditEvent
from apps.checks.ids import new_decision_id
from apps.checks.models import Decision

PREFIX = "/api/v1/orgs/{org}/exports/"
EXPORTS = ["decisions.csv", "decisions.json", "audit.csv", "audit.json"]
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def make_decisions(org, specs):
    """Decision rows as the check API writes them, at given times."""
    agents = {a.key: a for a in Agent.objects.filter(organization=org)}
    rows = []
    for spec in specs:
        reason = spec.get("reason", "action.allowed")
        action = spec.get("action", "send_follow_up")
        rows.append(
            Decision(
                decision_id=new_decision_id(),
                organization=org,
                agent=agents[spec.get("agent", "copilot")],
                key_prefix="mk_test",
                action=action,
                decision=spec.get("decision", "allow"),
                primary_reason=reason,
                reason_codes=[reason],
                reasons=[{"code": reason, "message": "Because."}],
                obligations=spec.get("obligations", {}),
                request=spec.get("request", {"action": action, "context": {"deal": "ACME-7"}}),
                masked_paths=[],
                request_id=spec.get("request_id", ""),
                evaluated_at=spec["at"],
                evaluation_us=7,
            )
        )
    return Decision.objects.bulk_create(rows)


def body(response) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response), newline="")))


@pytest.fixture
def log(world):
    """A spread of decisions on fixed days, beside the world's own (made now)."""
    world.other_agent = Agent.objects.create(
        organization=world.org, key="prospector", name="Prospector"
    )
    specs = []
    for n in range(12):
        specs.append(
            {
                "at": T0 + timedelta(hours=n),
                "agent": "copilot" if n % 3 else "prospector",
                "action": "offer_discount" if n % 2 else "send_follow_up",
                "decision": ["allow", "deny", "require_approval", "escalate"][n % 4],
                "reason": ["action.allowed", "limit.exceeded", "action.requires_approval"][n % 3],
            }
        )
    make_decisions(world.org, specs)
    return world


def test_decisions_csv_holds_every_column_and_only_this_organizations_rows(log, api_as):
    response = api_as(log.people["auditor"]).get(PREFIX.format(org=log.org.slug) + "decisions.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="decisions-acme-test-')
    rows = csv_rows(response)
    assert list(rows[0]) == [name for name, _ in exports.DECISION_COLUMNS]
    mine = set(Decision.objects.filter(organization=log.org).values_list("decision_id", flat=True))
    assert {row["decision_id"] for row in rows} == mine
    assert len(rows) == len(mine) == 12 + 3
    # Newest first, the decision log's order.
    times = [datetime.fromisoformat(row["evaluated_at"]) for row in rows]
    assert times == sorted(times, reverse=True)
    first_fixed = next(row for row in rows if row["evaluated_at"] == (T0).isoformat())
    assert first_fixed["agent"] == "prospector"
    assert json.loads(first_fixed["request"]) == {
        "action": "send_follow_up",
        "context": {"deal": "ACME-7"},
    }
    assert json.loads(first_fixed["reason_codes"]) == ["action.allowed"]


@pytest.mark.parametrize(
    "query",
    [
        "agent=prospector",
        "agent=nobody",
        "action=offer_discount",
        "decision=deny",
        "reason=limit.exceeded",
        "since=2026-10-01T12:00:00Z",
        "until=2026-10-01T12:00:00Z",
        "since=2026-10-01T10:00:00Z&until=2026-10-01T15:00:00Z&decision=allow",
        "agent=copilot&action=send_follow_up&reason=action.requires_approval",
    ],
)
def test_decision_filters_are_the_decision_logs(log, api_as, query):
    client = api_as(log.people["owner"])
    slug = log.org.slug
    listed = client.get(f"/api/v1/orgs/{slug}/decisions/?page_size=500&{query}").json()
    expected = [row["decision_id"] for row in listed["results"]]
    as_csv = [
        r["decision_id"]
        for r in csv_rows(client.get(f"{PREFIX.format(org=slug)}decisions.csv?{query}"))
    ]
    as_json = [
        r["decision_id"]
        for r in json.loads(body(client.get(f"{PREFIX.format(org=slug)}decisions.json?{query}")))
    ]
    assert as_csv == as_json == expected
    if query != "agent=nobody":
        assert expected


def test_decisions_json_is_one_valid_array_with_values_exact(log, api_as):
    make_decisions(
        log.org,
        [
            {
                "at": T0 - timedelta(days=1),
                "request_id": "=cmd|' /C calc'!A0",
                "request": {"n": [1, 2.5, None]},
            }
        ],
    )
    response = api_as(log.people["auditor"]).get(PREFIX.format(org=log.org.slug) + "decisions.json")
    assert response["Content-Type"] == "application/json"
    rows = json.loads(body(response))
    assert isinstance(rows, list)
    assert len(rows) == 16
    oldest = rows[-1]
    assert oldest["request_id"] == "=cmd|' /C calc'!A0"  # JSON is exact: nothing to defuse
    assert oldest["request"] == {"n": [1, 2.5, None]}
    assert oldest["evaluated_at"] == (T0 - timedelta(days=1)).isoformat()
    assert set(oldest) == {name for name, _ in exports.DECISION_COLUMNS}


def test_empty_exports_are_still_valid(log, api_as):
    client = api_as(log.people["auditor"])
    base = PREFIX.format(org=log.org.slug)
    assert json.loads(body(client.get(base + "decisions.json?agent=nobody"))) == []
    assert body(client.get(base + "decisions.csv?agent=nobody")).startswith("decision_id,")
    assert csv_rows(client.get(base + "audit.csv?verb=no.such.verb")) == []
    assert json.loads(body(client.get(base + "audit.json?until=2000-01-01T00:00:00Z"))) == []


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_spreadsheets_would_evaluate_are_defused(world, api_as, start):
    dangerous = f'{start}HYPERLINK("https://evil.example/","click")'
    make_decisions(world.org, [{"at": T0, "request_id": dangerous, "action": dangerous}])
    response = api_as(world.people["auditor"]).get(
        PREFIX.format(org=world.org.slug)
        + "decisions.csv?since=2026-10-01T09:00:00Z&until=2026-10-01T09:00:01Z"
    )
    (row,) = csv_rows(response)
    assert row["request_id"] == "'" + dangerous
    assert row["action"] == "'" + dangerous
    assert row["decision"] == "allow"  # plain text is left alone


def test_csv_cell_rules():
    assert exports.csv_cell("-12") == "'-12"
    assert exports.csv_cell(-12) == -12  # numbers are numbers
    assert exports.csv_cell("a=b") == "a=b"
    assert exports.csv_cell(None) == ""
    assert exports.csv_cell(["=x"]) == '["=x"]'  # JSON text starts with [ or {
    assert exports.csv_cell(T0) == "2026-10-01T09:00:00+00:00"


def test_audit_csv_is_the_chain_in_order_with_its_hashes(world, api_as):
    response = api_as(world.people["auditor"]).get(PREFIX.format(org=world.org.slug) + "audit.csv")
    rows = csv_rows(response)
    assert list(rows[0]) == [name for name, _ in exports.AUDIT_COLUMNS]
    stored = list(AuditEvent.objects.filter(organization=world.org).order_by("seq"))
    assert [int(r["seq"]) for r in rows] == [e.seq for e in stored]
    assert [r["hash"] for r in rows] == [e.hash for e in stored]
    for previous, row in itertools.pairwise(rows):
        assert row["prev_hash"] == previous["hash"]
    assert {r["hash"] for r in rows}.isdisjoint(
        AuditEvent.objects.filter(organization=world.other).values_list("hash", flat=True)
    )


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("verb=policy_version.", lambda e: e.verb.startswith("policy_version.")),
        ("verb=membership.added", lambda e: e.verb == "membership.added"),
        ("actor=author", lambda e: e.actor == "author"),
        ("object_type=policies.policyversion", lambda e: e.object_type == "policies.policyversion"),
        (
            "actor=copilot&verb=approval.",
            lambda e: e.actor == "copilot" and e.verb.startswith("approval."),
        ),
    ],
)
def test_audit_filters(world, api_as, query, matches):
    client = api_as(world.people["owner"])
    rows = json.loads(body(client.get(PREFIX.format(org=world.org.slug) + f"audit.json?{query}")))
    expected = [
        e.seq
        for e in AuditEvent.objects.filter(organization=world.org).order_by("seq")
        if matches(e)
    ]
    assert [row["seq"] for row in rows] == expected
    assert expected


def test_audit_time_range(world, api_as):
    events = list(AuditEvent.objects.filter(organization=world.org).order_by("seq"))
    middle = events[len(events) // 2].at
    client = api_as(world.people["auditor"])
    since = middle.isoformat().replace("+00:00", "Z")
    later = json.loads(
        body(client.get(PREFIX.format(org=world.org.slug) + f"audit.json?since={since}"))
    )
    earlier = json.loads(
        body(client.get(PREFIX.format(org=world.org.slug) + f"audit.json?until={since}"))
    )
    assert [r["seq"] for r in earlier + later] == [e.seq for e in events]
    assert all(datetime.fromisoformat(r["at"]) >= middle for r in later)
    assert later
    assert earlier


def test_exports_stream_a_page_at_a_time(log, api_as, monkeypatch):
    """The response is a stream: its header leaves before any row is read, and the rows are
    fetched in pages of CHUNK_ROWS, one query each, as the client reads."""
    monkeypatch.setattr(exports, "CHUNK_ROWS", 4)
    response = api_as(log.people["auditor"]).get(PREFIX.format(org=log.org.slug) + "decisions.csv")
    assert isinstance(response, StreamingHttpResponse)
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        header = next(chunks)
        assert header.startswith(b"decision_id,evaluated_at,")
        assert len(queries) == 0  # nothing read yet
        first_page = next(chunks)
        assert first_page.count(b"\r\n") == 4
        pages_read = [q for q in queries.captured_queries if "checks_decision" in q["sql"]]
        assert len(pages_read) == 1
        rest = list(chunks)
    pages_read = [q for q in queries.captured_queries if "checks_decision" in q["sql"]]
    # 15 rows in pages of 4: 4 + 4 + 4 + 3, the last one short, so no fifth query.
    assert len(pages_read) == 4
    assert all("LIMIT 4" in q["sql"] for q in pages_read)
    assert all("OFFSET" not in q["sql"] for q in pages_read)
    assert (first_page + b"".join(rest)).count(b"\r\n") == 15


def test_pages_never_skip_or_repeat_rows_with_equal_times(world, monkeypatch):
    """The keyset is (evaluated_at, id): rows that share a time straddle pages safely."""
    monkeypatch.setattr(exports, "CHUNK_ROWS", 3)
    made = make_decisions(
        world.org, [{"at": T0} for _ in range(7)] + [{"at": T0 - timedelta(seconds=1)}]
    )
    filters = exports.DecisionFilters(
        since=T0 - timedelta(minutes=1), until=T0 + timedelta(minutes=1)
    )
    pages = list(exports.decision_pages(organization=world.org, filters=filters))
    ids = [row["decision_id"] for page in pages for row in page]
    assert sorted(ids) == sorted(d.decision_id for d in made)
    assert len(ids) == len(set(ids)) == 8
    assert [len(page) for page in pages] == [3, 3, 2]


def test_audit_pages_follow_seq(world, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 5)
    pages = list(exports.audit_pages(organization=world.org, filters=exports.AuditFilters()))
    seqs = [row["seq"] for page in pages for row in page]
    assert seqs == sorted(
        AuditEvent.objects.filter(organization=world.org).values_list("seq", flat=True)
    )
    assert all(len(page) == 5 for page in pages[:-1])


@pytest.mark.parametrize("path", [*EXPORTS, "evidence.zip"])
@pytest.mark.parametrize("role", ["author", "reviewer", "member"])
def test_roles_without_view_audit_are_refused(world, api_as, path, role):
    response = api_as(world.people[role]).get(PREFIX.format(org=world.org.slug) + path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("path", EXPORTS)
@pytest.mark.parametrize("role", ["auditor", "owner"])
def test_auditors_and_owners_may_export(world, api_as, path, role):
    assert (
        api_as(world.people[role]).get(PREFIX.format(org=world.org.slug) + path).status_code == 200
    )


@pytest.mark.parametrize("path", [*EXPORTS, "evidence.zip"])
def test_another_organization_answers_404_like_a_missing_one(world, api_as, path):
    client = api_as(world.people["owner"])
    foreign = client.get(PREFIX.format(org=world.other.slug) + path)
    missing = client.get(PREFIX.format(org="no-such-org") + path)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert api_as(world.stranger).get(PREFIX.format(org=world.org.slug) + path).status_code == 404


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("decisions.csv?decision=maybe", "decision"),
        ("decisions.json?since=yesterday", "since"),
        ("decisions.csv?until=2026-10-01", "until"),
        ("decisions.csv?agent=a&agent=b", "agent"),
        ("audit.csv?since=2026-13-01T00:00:00Z", "since"),
        ("audit.json?verb=a&verb=b", "verb"),
    ],
)
def test_bad_filters_answer_400_before_anything_streams(world, api_as, path, field):
    response = api_as(world.people["auditor"]).get(
        PREFIX.format(org=world.org.slug) + path, HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 400
    assert not response.streaming
    assert field in response.json()["error"]["fields"]
