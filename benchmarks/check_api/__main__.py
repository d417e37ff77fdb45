"""Benchmark of POST /api/v1/check against two baselines served the same way.

    benchmarks/check_api/run [--duration 10] [--concurrency 1,16,64]

Serves the site with gunicorn under production settings (DEBUG off) on PostgreSQL and
Redis, drives three endpoints with wrk at each concurrency over a realistic policy and a
request mix that reaches every decision, and prints throughput and p50/p99 latency side by
side: the bare Django JSON view (the stack's ceiling), the naive DRF view that validates the
body and INSERTs one row (the obvious implementation), and the check endpoint (which
decides, and records every decision durably before answering). It then verifies that
every check wrote exactly one row and counts the key reads the check path made, and times
the engine alone in this process.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def _say(text: str) -> None:
    print(text, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(args) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.check_api.settings",
        "DATABASE_URL": args.database,
        "REDIS_URL": args.redis,
        "CELERY_BROKER_URL": args.redis,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "MANDATE_CHECK_RATE_PER_SECOND": "1000000",
        "PYTHONPATH": str(ROOT),
    }


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


def _wrk(url: str, concurrency: int, duration: int, bodies: Path, key: str) -> dict:
    threads = min(concurrency, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{concurrency}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(HERE / "mix.lua"),
            url,
            "--",
            str(bodies),
            key,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _sql(env: dict, query: str) -> str:
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        f"    c.execute({query!r}); print(c.fetchone()[0])\n"
    )
    return subprocess.run(
        [PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()


def _key_reads(env: dict) -> int:
    time.sleep(11)  # idle backends report their statistics within 10 s
    return int(
        _sql(
            env,
            "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0) "
            "FROM pg_stat_user_tables WHERE relname = 'agents_agentkey'",
        )
    )


def _engine_cost(env: dict, world_file: Path) -> dict:
    out = subprocess.run(
        [PYTHON, "-m", "benchmarks.check_api.engine", str(world_file)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/mandate_bench",
        help="a PostgreSQL database the benchmark may drop and recreate",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        _say("The benchmark needs wrk (Debian: apt-get install wrk).")
        return 1
    env = _environment(args)
    levels = [int(c) for c in args.concurrency.split(",")]

    _say(f"==> PostgreSQL database {urlsplit(args.database).path.lstrip('/')}: recreated")
    _recreate_database(args.database)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [PYTHON, "-c", "import redis,sys; redis.Redis.from_url(sys.argv[1]).flushdb()", args.redis],
        check=True,
    )
    work = Path(tempfile.mkdtemp(prefix="mandate-bench-"))
    world_file = work / "world.json"
    subprocess.run(
        [PYTHON, "-m", "benchmarks.check_api.world", str(world_file)], env=env, check=True, cwd=ROOT
    )
    world = json.loads(world_file.read_text())
    bodies = work / "bodies.txt"
    bodies.write_text("\n".join(json.dumps(item["body"]) for item in world["mix"]) + "\n")

    port = _free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        targets = {
            "bare Django view": f"{base}/bench/bare",
            "naive DRF + INSERT": f"{base}/bench/naive",
            "POST /api/v1/check": f"{base}/api/v1/check",
        }
        for url in targets.values():  # warm every worker: imports, connections, caches
            _wrk(url, 16, 2, bodies, world["key"])
        _say(
            f"==> {world['actions']} actions in the policy, {len(world['mix'])} requests in "
            f"the mix; gunicorn, {args.workers} sync workers; {args.duration} s per run\n"
        )
        rows_before = int(_sql(env, "SELECT count(*) FROM checks_decision"))
        results: dict[tuple[str, int], dict] = {}
        for level in levels:
            for name, url in targets.items():
                result = _wrk(url, level, args.duration, bodies, world["key"])
                results[name, level] = result
                rows = int(_sql(env, "SELECT count(*) FROM checks_decision"))
                result["rows"] = rows - rows_before
                rows_before = rows
        # The hot path's reads, alone: the agent-key table's scans during checks only.
        reads_before = _key_reads(env)
        audit = _wrk(targets["POST /api/v1/check"], 16, args.duration, bodies, world["key"])
        key_reads = _key_reads(env) - reads_before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    header = (
        f"{'endpoint':<22}{'conc':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'vs naive':>9}{'vs bare':>8}{'errors':>8}"
    )
    _say(header)
    _say("-" * len(header))
    failures = []
    for level in levels:
        naive = results["naive DRF + INSERT", level]["rps"]
        bare = results["bare Django view", level]["rps"]
        for name in targets:
            r = results[name, level]
            _say(
                f"{name:<22}{level:>5}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}"
                f"{r['rps'] / naive:>9.2f}{r['rps'] / bare:>8.2f}{r['errors']:>8}"
            )
            if r["errors"]:
                failures.append(f"{name} at {level}: {r['errors']} non-2xx answers")
        check = results["POST /api/v1/check", level]
        # wrk stops counting with requests still in flight; the server answers (and records)
        # those too: at most one per connection.
        if not check["requests"] <= check["rows"] <= check["requests"] + level:
            failures.append(f"at {level}: {check['requests']} checks but {check['rows']} rows")
        _say(
            f"{'':<27}  decision rows: {check['rows']} for {check['requests']} answers "
            f"(+ ≤{level} in flight)"
        )
        _say("")
    _say(
        f"hot path: {key_reads} agent-key lookups (reads, and last-used updates) for "
        f"{audit['requests']} checks at "
        f"concurrency 16 ({args.workers} processes x {args.duration} s; the cache is "
        f"re-validated at most once a second per process)"
    )
    engine = _engine_cost(env, world_file)
    kinds = sorted({got for _, got in engine["answers"]})
    wrong = [i for i, (expect, got) in enumerate(engine["answers"]) if expect != got]
    _say(
        f"engine: median {engine['median_us']:.2f} µs per decision over the mix "
        f"(decisions reached: {', '.join(kinds)})"
    )
    if wrong:
        failures.append(f"requests of the mix answered otherwise than expected: {wrong}")
    if failures:
        _say("\nPROBLEMS:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
