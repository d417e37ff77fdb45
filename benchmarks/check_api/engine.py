"""The engine's own cost: the benchmark's compiled policy deciding the request mix in this
process, timed per decision (python -m benchmarks.check_api.engine WORLD.json)."""

import json
import statistics
import sys
import time

import django

django.setup()

from apps.checks.parsing import parse_check  # noqa: E402
from apps.checks.policy_cache import compiled_version  # noqa: E402
from apps.engine.evaluate import decide  # noqa: E402
from apps.engine.types import AgentFacts  # noqa: E402
from apps.policies.models import PolicyVersion  # noqa: E402

ROUNDS = 2000


def measure(world: dict) -> dict:
    version = PolicyVersion.objects.get(pk=world["version_id"])
    policy = compiled_version(version.pk, version.content_hash)
    requests = [parse_check(item["body"])[0] for item in world["mix"]]
    facts = AgentFacts()
    answers = [
        (item["expect"], decide(policy, facts, request).decision)
        for item, request in zip(world["mix"], requests, strict=True)
    ]
    timings = []
    for _ in range(ROUNDS):
        for request in requests:
            started = time.perf_counter_ns()
            decide(policy, facts, request)
            timings.append(time.perf_counter_ns() - started)
    return {"median_us": statistics.median(timings) / 1000, "answers": answers}


if __name__ == "__main__":
    with open(sys.argv[1]) as source:
        print(json.dumps(measure(json.load(source))))
