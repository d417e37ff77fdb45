"""One measurement: GET an export through the real view with Django's test client and
consume the stream chunk by chunk, keeping nothing; print the figures as one JSON line.

    python -m benchmarks.exports.measure URL TOKEN traced|plain

`plain` reports the peak resident set size above the warm baseline (Linux resets the peak,
VmHWM, when told 5 in /proc/self/clear_refs) and the time; `traced` the peak of Python's
heap under tracemalloc (which slows every allocation, so its time is not reported)."""

import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path

import django


def status(field: str) -> int:
    """A /proc/self/status figure, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def stream(client, url: str, token: str) -> dict:
    started = time.perf_counter()
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.status_code
    assert response.streaming, "the export is not a streaming response"
    size = lines = chunks = 0
    first = None
    rss_seen = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
        chunks += 1
        if chunks % 64 == 0:
            rss_seen = max(rss_seen, status("VmRSS"))
    return {
        "seconds": time.perf_counter() - started,
        "first_chunk_ms": (first or 0) * 1000,
        "bytes": size,
        "lines": lines,
        "chunks": chunks,
        "rss_seen": rss_seen,
    }


def main() -> int:
    url, token, mode = sys.argv[1:4]
    django.setup()
    from django.test import Client

    client = Client()
    # Warm up on the first hour of the log: imports, URL resolution, the view, the
    # generator, the query compiler and the connection, all loaded before the baseline.
    warm = stream(client, url + "?until=2026-01-01T01:00:00Z", token)
    assert warm["lines"] > 100
    gc.collect()
    if mode == "traced":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        result = stream(client, url, token)
        result["heap_peak"] = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    else:
        exact = reset_peak_rss()
        baseline = status("VmRSS")
        result = stream(client, url, token)
        peak = status("VmHWM") if exact else max(result["rss_seen"], status("VmRSS"))
        result["rss_baseline"] = baseline
        result["rss_delta"] = max(0, peak - baseline)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
