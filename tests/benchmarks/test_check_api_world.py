"""The benchmark's world stays valid: its policy passes the real life cycle, and its request
mix reaches every kind of decision, each as the benchmark expects."""

import pytest

from benchmarks.check_api import engine, world

pytestmark = pytest.mark.django_db


def test_the_mix_reaches_every_decision_as_expected(monkeypatch):
    built = world.build()
    assert built["actions"] >= 30
    monkeypatch.setattr(engine, "ROUNDS", 1)
    answers = engine.measure(built)["answers"]
    assert [got for _, got in answers] == [expect for expect, _ in answers]
    assert {got for _, got in answers} == {"allow", "require_approval", "escalate", "deny"}
