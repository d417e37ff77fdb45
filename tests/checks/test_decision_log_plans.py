"""The decision log stays fast on millions of rows. On a year of skewed decisions generated in
PostgreSQL, every filter the API and the UI offer reads its first and its next page in order
from an index on checks_decision (EXPLAIN of the very statements the views run), and a page
deep in the log is the same keyset statement as the second one, never an OFFSET."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.db import connection, transaction
from django.test import Client

from apps.agents import services as agent_services
from apps.agents.models import Agent
from apps.checks.models import Decision
from apps.organizations.constants import Role
from tests.conftest import make_policy_history, token_client
from tests.factories import UserFactory, make_member, make_organization, make_team

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
)

ROWS = 500_000
NOW = datetime(2026, 11, 1, tzinfo=UTC)
PAGE = 50  # the API's default page size and the UI's page: both fetch one row more
# The big organization's agents and their share of its rows: a busy one, regulars, a quiet one.
AGENTS = [
    ("follow-up", 0.50),
    ("prospector", 0.25),
    ("renewals", 0.15),
    ("events", 0.08),
    ("onboarding", 0.02),
]
ACTIONS = [f"action_{n:02}" for n in range(40)]  # drawn skewed: the first are the common ones
DECISIONS = [("allow", 0.70), ("require_approval", 0.15), ("escalate", 0.08), ("deny", 0.07)]
REASONS = [
    "action.allowed",
    "action.requires_approval",
    "action.escalate",
    "limit.exceeded",
    "confidence.below_threshold",
    "action.out_of_scope",
    "template.not_approved",
    "channel.not_allowed",
    "data.not_permitted",
    "field.not_allowed",
    "action.unknown",
    "policy.none_active",
    "agent.suspended",
    "org.autonomy_paused",
    "policy.unavailable",
]


def _edges(shares: list[float]) -> list[float]:
    """Lower bounds of each value's slice of [0, 1), for width_bucket()."""
    edges = [0.0]
    for share in shares[:-1]:
        edges.append(edges[-1] + share)
    return edges


def _generate(*, org, other, agents, other_agents, version) -> None:
    """ROWS decisions over the year before NOW, in time order as the append-only log grows,
    9 in 10 in the big organization; then ANALYZE, as autovacuum would have."""
    # Narrow rows (empty JSON) make a sequential scan look as cheap as it ever will: a plan
    # that prefers an index here prefers it on real rows, whose requests are much wider.
    sql = """
        INSERT INTO checks_decision (
            decision_id, organization_id, agent_id, key_prefix, policy_id, policy_version_id,
            action, decision, primary_reason, reason_codes, reasons, obligations, request,
            masked_paths, request_id, evaluated_at, evaluation_us, error)
        SELECT
            'dec_plan_' || g,
            CASE WHEN r_org < 0.9 THEN %(org)s ELSE %(other)s END,
            CASE WHEN r_org < 0.9
                THEN (%(agents)s::bigint[])[width_bucket(r_agent, %(agent_edges)s::float8[])]
                ELSE (%(other_agents)s::bigint[])[1 + floor(r_agent * 2)::int]
            END,
            'mk_plans',
            CASE WHEN r_org < 0.9 THEN %(policy)s END,
            CASE WHEN r_org < 0.9 THEN %(version)s END,
            (%(actions)s::text[])[1 + floor(power(r_action, 3) * 40)::int],
            (%(decisions)s::text[])[width_bucket(r_decision, %(decision_edges)s::float8[])],
            (%(reasons)s::text[])[1 + floor(power(r_reason, 2) * 15)::int],
            '[]', '[]', '{}', '{}', '[]', '',
            %(start)s + (g - 1 + r_jitter) * %(step)s,
            (r_jitter * 5000)::int,
            ''
        FROM (
            SELECT g, random() AS r_org, random() AS r_agent, random() AS r_action,
                   random() AS r_decision, random() AS r_reason, random() AS r_jitter
            FROM generate_series(1, %(rows)s) AS g
        ) AS draws
        ORDER BY g
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            sql,
            {
                "org": org.pk,
                "other": other.pk,
                "agents": [agent.pk for agent, _ in agents],
                "agent_edges": _edges([share for _, share in agents]),
                "other_agents": [agent.pk for agent in other_agents],
                "policy": version.policy_id,
                "version": version.pk,
                "actions": ACTIONS,
                "decisions": [decision for decision, _ in DECISIONS],
                "decision_edges": _edges([share for _, share in DECISIONS]),
                "reasons": REASONS,
                "start": NOW - timedelta(days=365),
                "step": timedelta(days=365) / ROWS,
                "rows": ROWS,
            },
        )
        # Check the deferred foreign keys of these rows once, now: left pending, they would be
        # checked again at the end of every test (Django's TestCase does), seconds each time.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("ANALYZE checks_decision")


@dataclass
class BigLog:
    slug: str
    api: Client
    ui: Client


@pytest.fixture(scope="module")
def big_log(django_db_setup, django_db_blocker):
    """Built once for the module, in a transaction rolled back when the module is done."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            owner = UserFactory(username="plans-owner")
            org = make_organization(owner=owner, slug="plans-big", name="Plans Big")
            make_team(org, "deal-desk")  # named by the policy's document
            policy = make_policy_history(
                org,
                author=make_member(org, [Role.AUTHOR]),
                reviewer=make_member(org, [Role.REVIEWER]),
            )
            stranger = UserFactory(username="plans-stranger")
            other = make_organization(owner=stranger, slug="plans-other", name="Plans Other")
            agents = [
                (
                    agent_services.agent_create(
                        organization=org, by=owner, key=key, name=key.title(), policy="pipeline"
                    ),
                    share,
                )
                for key, share in AGENTS
            ]
            other_agents = [
                agent_services.agent_create(organization=other, by=stranger, key=key, name=key)
                for key in ("theirs", "their-other")
            ]
            _generate(
                org=org,
                other=other,
                agents=agents,
                other_agents=other_agents,
                version=policy.versions.order_by("-number").first(),
            )
            ui = Client()
            ui.force_login(owner)
            yield BigLog(slug=org.slug, api=token_client(owner), ui=ui)
            transaction.set_rollback(True)
        # The statistics ANALYZE wrote outlive the rollback: give the suite its table back.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) checks_decision")


class Statements:
    """Every statement the code runs on checks_decision, with the parameters it sent."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        if 'FROM "checks_decision"' in sql:
            self.seen.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)


def get_page(client: Client, path: str, params: dict | None = None):
    """GET a page of the log; returns the response and its one statement on the log."""
    statements = Statements()
    with connection.execute_wrapper(statements):
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content[:500]
    # The UI also asks whether a newer row exists (one row, LIMIT 1): not the page's read.
    pages = [s for s in statements.seen if not s[0].rstrip().endswith("LIMIT 1")]
    assert len(pages) == 1, statements.seen
    return response, pages[0]


def walk(client: Client, path: str, params: dict, *, api: bool) -> tuple[list[str], list]:
    """Every page of the log from the first, through the links the pages give; returns the
    decision ids in the order shown and each page's statement."""
    shown, statements = [], []
    url: str | None = path
    while url:
        response, statement = get_page(client, url, params)
        statements.append(statement)
        if api:
            body = response.json()
            shown += [row["decision_id"] for row in body["results"]]
            url, params = body["next"], {}
        else:
            shown += [row.decision_id for row in response.context["decisions"]]
            cursor = _older_cursor(response)
            url, params = (path, {"before": cursor}) if cursor else (None, {})
    return shown, statements


def _older_cursor(response) -> str | None:
    """The cursor of the page's "Older" link, as a person would follow it."""
    link = response.context["older_url"]
    return parse_qs(link.lstrip("?")).get("before", [None])[0] if link else None


@pytest.mark.django_db
def test_deep_pages_run_the_second_pages_statement_never_an_offset(world, client):
    """No EXPLAIN needed, and on any database: the statement for page N is the statement for
    page 2 with other cursor values, so a deep page costs what the second one does."""
    agent = Agent.objects.get(organization=world.org, key="copilot")
    start = NOW - timedelta(days=2)
    Decision.objects.bulk_create(
        Decision(
            decision_id=f"dec_deep_{n}",
            organization=world.org,
            agent=agent,
            key_prefix="mk_deep",
            action="send_follow_up",
            decision="allow",
            primary_reason="action.allowed",
            evaluated_at=start + timedelta(seconds=n),
        )
        for n in range(320)
    )
    newest_first = list(
        Decision.objects.filter(organization=world.org)
        .order_by("-evaluated_at", "-id")
        .values_list("decision_id", flat=True)
    )
    client.force_login(world.people["auditor"])
    walks = {
        "api": walk(
            token_client(world.people["auditor"]),
            f"/api/v1/orgs/{world.org.slug}/decisions/",
            {"page_size": 5},
            api=True,
        ),
        "ui": walk(client, f"/o/{world.org.slug}/decisions/", {}, api=False),
    }
    for surface, (shown, statements) in walks.items():
        assert shown == newest_first, surface  # every row once, in order, across the pages
        assert len(statements) >= 7, surface
        # The API's cursor (DRF's) would add an OFFSET only to step over rows that share the
        # boundary's evaluated_at, as many as share it, never more as pages go deeper; every
        # check stamps its own microsecond, so here, as in the log, there is none.
        assert not [sql for sql, _ in statements if "OFFSET" in sql.upper()], surface
        templates = {sql for sql, _ in statements[1:]}
        assert len(templates) == 1, (surface, templates)


@dataclass
class Plan:
    """What EXPLAIN says of a page's statement, reduced to what the assertions read."""

    top: dict
    scans: list[dict]  # every node reading checks_decision
    sorts: list[dict]

    @classmethod
    def of(cls, statement: tuple[str, tuple]) -> "Plan":
        sql, params = statement
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            document = cursor.fetchone()[0]
        top = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
        every = list(_nodes(top))
        return cls(
            top=top,
            scans=[n for n in every if n.get("Relation Name") == "checks_decision"],
            sorts=[n for n in every if "Sort" in n["Node Type"]],
        )

    def describe(self) -> str:
        return "; ".join(
            f"{n['Node Type']} using {n.get('Index Name', '-')} "
            f"cond {n.get('Index Cond', '-')} filter {n.get('Filter', '-')} "
            f"est. {n['Plan Rows']} rows"
            for n in self.scans
        ) + "".join(f"; {n['Node Type']} on {n.get('Sort Key')}" for n in self.sorts)


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def assert_ordered_index_read(plan: Plan, index: str, conditions: list[str]) -> None:
    """One index scan on checks_decision, by `index`, whose conditions include each of
    `conditions`, under a LIMIT and with no sort: the page is the first rows the index gives."""
    assert plan.top["Node Type"] == "Limit", plan.describe()
    assert plan.top["Plan Rows"] == PAGE + 1, plan.describe()
    assert len(plan.scans) == 1, plan.describe()
    scan = plan.scans[0]
    # Not a Seq Scan, and not a Bitmap Heap Scan either: a bitmap gives rows out of order,
    # and every matching row would be sorted to find the newest.
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), plan.describe()
    assert scan["Index Name"] == index, plan.describe()
    for condition in ["organization_id =", *conditions]:
        assert condition in scan["Index Cond"], plan.describe()
    assert not plan.sorts, plan.describe()


@dataclass(frozen=True)
class Case:
    name: str
    params: dict
    index: str
    conditions: tuple[str, ...]  # what the index itself must narrow on, as EXPLAIN prints it
    ui: bool = True  # the UI offers no time range


SINCE, UNTIL = (NOW - timedelta(days=40)).isoformat(), (NOW - timedelta(days=10)).isoformat()
CASES = [
    Case("none", {}, "decision_org_time", ()),
    Case("agent", {"agent": "onboarding"}, "decision_org_agent_time", ("agent_id =",)),
    Case("action", {"action": "action_20"}, "decision_org_action_time", ("(action)::text =",)),
    Case("decision", {"decision": "deny"}, "decision_org_dec_time", ("(decision)::text =",)),
    Case(
        "reason",
        {"reason": "agent.suspended"},
        "decision_org_reason_time",
        ("(primary_reason)::text =",),
    ),
    Case(
        "time range",
        {"since": SINCE, "until": UNTIL},
        "decision_org_time",
        ("evaluated_at >=", "evaluated_at <"),
        ui=False,
    ),
    Case(
        "agent and decision",
        {"agent": "onboarding", "decision": "escalate"},
        "decision_org_agent_time",
        ("agent_id =",),
    ),
    Case(
        "action and time range",
        {"action": "action_20", "since": SINCE, "until": UNTIL},
        "decision_org_action_time",
        ("(action)::text =", "evaluated_at >=", "evaluated_at <"),
        ui=False,
    ),
]


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("surface", "case"),
    [
        pytest.param(surface, case, id=f"{surface}-{case.name.replace(' ', '-')}")
        for case in CASES
        for surface in ("api", "ui")
        if surface == "api" or case.ui
    ],
)
def test_first_and_next_page_read_an_ordered_index(big_log, surface, case):
    if surface == "api":
        client, path = big_log.api, f"/api/v1/orgs/{big_log.slug}/decisions/"
    else:
        client, path = big_log.ui, f"/o/{big_log.slug}/decisions/"
    first, statement = get_page(client, path, case.params)
    assert f"LIMIT {PAGE + 1}" in statement[0]
    assert "OFFSET" not in statement[0]
    plan = Plan.of(statement)
    print(f"\n{surface} {case.name}, first page: {plan.describe()}")
    assert_ordered_index_read(plan, case.index, list(case.conditions))
    bounds = plan.scans[0]["Index Cond"].count("evaluated_at <")

    # The next page, through the link the first one gives.
    if surface == "api":
        body = first.json()
        assert len(body["results"]) == PAGE
        _, statement = get_page(client, body["next"])
    else:
        assert len(first.context["decisions"]) == PAGE
        cursor = _older_cursor(first)
        _, statement = get_page(client, path, {**case.params, "before": cursor})
    plan = Plan.of(statement)
    print(f"{surface} {case.name}, next page: {plan.describe()}")
    assert_ordered_index_read(plan, case.index, list(case.conditions))
    # The cursor is one more upper bound on evaluated_at in the index condition: the scan
    # seeks to it rather than reading, and dropping, every newer row first.
    assert plan.scans[0]["Index Cond"].count("evaluated_at <") == bounds + 1, plan.describe()
