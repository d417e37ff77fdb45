"""Do the exports stream? Memory of GET /api/v1/orgs/{org}/exports/decisions.csv at 100,000
and at 1,000,000 decisions.

    benchmarks/exports/run [--database postgres://…/mandate_exports_bench] [--formats csv,json]

Recreates a PostgreSQL database (its name must contain "bench"), migrates it, generates the
decisions with INSERT … SELECT generate_series (realistic rows: a request with its context,
reasons, obligations), then streams the export through the real view — URL resolution,
middleware, token authentication, tenancy, the generator — with Django's test client,
consuming the chunks as a client would and keeping none. Each export runs twice, each time
in a process of its own warmed up on a small export first: once under tracemalloc (the
peak of Python's heap while it runs), once without it (the peak resident set size above
the warm baseline, and the throughput). Flat means the 1M/100k ratios stay near 1 while
the rows grow tenfold; the benchmark fails otherwise. For contrast, it also measures what
reading the same 100,000 rows into a list costs.
"""

import argparse
import gc
import json
import os
import secrets
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
STAGES = (100_000, 1_000_000)


def _say(text: str = "") -> None:
    print(text, flush=True)


def _recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to drop {name!r}: the benchmark's database must be named *bench*."
        )
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# ---- the data ----------------------------------------------------------------------------

AGENTS = ("follow-up", "prospector", "renewals", "events")
ACTIONS = [f"action_{n:02}" for n in range(32)]
DECISIONS = ["allow", "require_approval", "escalate", "deny"]
REASONS = ["action.allowed", "action.requires_approval", "action.escalate", "limit.exceeded"]

INSERT = """
    INSERT INTO checks_decision (
        decision_id, organization_id, agent_id, key_prefix, policy_id, policy_version_id,
        action, decision, primary_reason, reason_codes, reasons, obligations, request,
        masked_paths, request_id, evaluated_at, evaluation_us, error)
    SELECT
        'dec_bench_' || g,
        %(org)s,
        (%(agents)s::bigint[])[1 + (g %% %(agent_count)s)],
        'mk_bench',
        NULL, NULL,
        action,
        (%(decisions)s::text[])[1 + (g %% 4)],
        (%(reasons)s::text[])[1 + (g %% 4)],
        jsonb_build_array((%(reasons)s::text[])[1 + (g %% 4)]),
        jsonb_build_array(jsonb_build_object(
            'code', (%(reasons)s::text[])[1 + (g %% 4)],
            'message', 'The policy says so for this action and this confidence.')),
        CASE WHEN g %% 4 = 1
            THEN jsonb_build_object('approver_team', 'deal-desk', 'expires_after_hours', 48)
            ELSE '{}'::jsonb END,
        jsonb_build_object(
            'action', action, 'confidence', round(r_confidence::numeric, 2),
            'context', jsonb_build_object(
                'deal', 'D-' || g, 'amount', (r_amount * 50000)::int,
                'stage', 'proposal', 'email', '***'),
            'signals', jsonb_build_array('pricing_question')),
        '["context.email"]'::jsonb,
        'req-' || g,
        %(start)s::timestamptz + g * interval '30 seconds',
        (r_amount * 5000)::int,
        ''
    FROM (
        SELECT g, (%(actions)s::text[])[1 + floor(power(random(), 2) * 32)::int] AS action,
               random() AS r_confidence, random() AS r_amount
        FROM generate_series(%(first)s, %(last)s) AS g
    ) AS draws
"""


def _generate(connection, org, agents, first: int, last: int) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT,
            {
                "org": org.pk,
                "agents": [a.pk for a in agents],
                "agent_count": len(agents),
                "actions": ACTIONS,
                "decisions": DECISIONS,
                "reasons": REASONS,
                "start": "2026-01-01T00:00:00Z",
                "first": first,
                "last": last,
            },
        )
        cursor.execute("ANALYZE checks_decision")
    return time.perf_counter() - started


# ---- measuring ---------------------------------------------------------------------------


def _measure(url: str, token: str, *, traced: bool) -> dict:
    """One export, streamed in a process of its own (benchmarks.exports.measure), so that
    each starts from the same warm baseline and its peak RSS is its own."""
    out = subprocess.run(
        [PYTHON, "-m", "benchmarks.exports.measure", url, token, "traced" if traced else "plain"],
        env=dict(os.environ),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _naive(org, rows: int) -> int:
    """Python heap of reading the same rows into a list, as an export without streaming
    would (values_list: already the cheap form of it)."""
    from apps.audit.exports import DECISION_COLUMNS
    from apps.checks.models import Decision

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    everything = list(
        Decision.objects.filter(organization=org)
        .order_by("-evaluated_at", "-id")
        .values_list(*[path for _, path in DECISION_COLUMNS])[:rows]
    )
    assert len(everything) == rows
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    del everything
    return peak


def _mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/mandate_exports_bench",
        help="a PostgreSQL database the benchmark may drop and recreate",
    )
    parser.add_argument("--formats", default="csv", help="csv, json or csv,json")
    args = parser.parse_args()
    formats = args.formats.split(",")

    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.exports.settings"
    os.environ["DATABASE_URL"] = args.database
    _say(f"==> PostgreSQL database {urlsplit(args.database).path.lstrip('/')}: recreated")
    _recreate_database(args.database)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"], env=dict(os.environ), check=True, cwd=ROOT
    )

    import django

    django.setup()
    from django.db import connection

    from apps.accounts.models import User
    from apps.accounts.services import personal_token_create
    from apps.agents import services as agent_services
    from apps.organizations import services as org_services

    owner = User.objects.create_user(username="bench-auditor", password=secrets.token_hex(16))
    org = org_services.organization_create(name="Bench", slug="bench", by=owner)
    agents = [
        agent_services.agent_create(organization=org, by=owner, key=key, name=key.title())
        for key in AGENTS
    ]
    token = personal_token_create(user=owner, name="bench").raw
    connection.close()  # the measuring processes need none of this one's

    _generate(connection, org, agents, 1, 2_000)  # a first hour: the measuring warm-up

    results: dict[tuple[int, str], dict] = {}
    generated = 2_000
    naive_heap = 0
    for stage in STAGES:
        took = _generate(connection, org, agents, generated + 1, stage)
        _say(f"==> {stage - generated:,} decisions generated in {took:.1f} s ({stage:,} in all)")
        generated = stage
        for fmt in formats:
            url = f"/api/v1/orgs/{org.slug}/exports/decisions.{fmt}"
            untraced = _measure(url, token, traced=False)
            traced = _measure(url, token, traced=True)
            expected = stage + 1 if fmt == "csv" else stage + 2  # header, or [ and ]
            assert untraced["lines"] == traced["lines"] == expected, (fmt, untraced["lines"])
            results[stage, fmt] = {**untraced, "heap_peak": traced["heap_peak"]}
        if stage == STAGES[0]:
            naive_heap = _naive(org, stage)

    _say()
    header = (
        f"{'rows':>10} {'format':>6} {'seconds':>8} {'rows/s':>9} {'output':>11} "
        f"{'1st chunk':>10} {'heap peak':>11} {'RSS delta':>11}"
    )
    _say(header)
    _say("-" * len(header))
    for (stage, fmt), r in results.items():
        _say(
            f"{stage:>10,} {fmt:>6} {r['seconds']:>8.1f} {stage / r['seconds']:>9,.0f} "
            f"{_mb(r['bytes']):>11} {r['first_chunk_ms']:>8.0f}ms {_mb(r['heap_peak']):>11} "
            f"{_mb(r['rss_delta']):>11}"
        )
    _say()
    small, large = STAGES
    for fmt in formats:
        a, b = results[small, fmt], results[large, fmt]
        heap = b["heap_peak"] / a["heap_peak"]
        _say(
            f"{fmt}: {large // small}x the rows -> heap peak x{heap:.2f}, "
            f"RSS delta x{b['rss_delta'] / max(a['rss_delta'], 1):.2f} "
            f"(output x{b['bytes'] / a['bytes']:.2f})"
        )
    baseline = results[small, formats[0]]["rss_baseline"]
    _say(f"each export ran in a process of its own, warm, from {_mb(baseline)} resident")
    _say(
        f"for contrast: {small:,} rows read into a list (values_list) take {_mb(naive_heap)} "
        f"of heap, x{naive_heap / results[small, formats[0]]['heap_peak']:.0f} the streamed "
        f"{formats[0]} export's peak"
    )
    flat = all(
        results[large, fmt]["heap_peak"] < 2 * results[small, fmt]["heap_peak"] for fmt in formats
    )
    if not flat:
        _say("\nPROBLEM: the heap grew with the rows: the export does not stream.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
