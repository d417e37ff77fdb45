"""Recording decisions: the single-row INSERT compiled once per process writes exactly what
the ORM's own save() would."""

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from apps.agents.models import AgentKey
from apps.checks.grants import grant_from_key
from apps.checks.models import Decision
from apps.checks.services import decision_row, decisions_record
from apps.engine.types import Decision as Outcome
from apps.engine.types import Reason

pytestmark = pytest.mark.django_db


def _row(key):
    return decision_row(
        grant=grant_from_key(key, active_version_id=None),
        body={"action": "send_follow_up", "context": {"email": "a@b.example", "n": [1, 2.5]}},
        outcome=Outcome(
            "require_approval",
            (Reason("confidence.below_threshold", "Below 0.8."),),
            {"approver_team": "deal-desk"},
        ),
        policy=None,
        version_id=None,
        request_id="r-1",
        evaluated_at=timezone.now(),
        evaluation_us=3,
    )


def test_the_compiled_insert_writes_what_save_writes(world):
    key = AgentKey.objects.filter(agent__key="copilot").first()
    fast, orm = _row(key), _row(key)
    decisions_record(rows=[fast])
    orm.save(force_insert=True)
    stored = {
        row.pk: model_to_dict(row, exclude=["id", "decision_id", "evaluated_at"])
        for row in Decision.objects.filter(pk__in=[fast.pk, orm.pk])
    }
    assert stored[fast.pk] == stored[orm.pk]
    assert stored[fast.pk]["request"]["context"]["email"] == "***"
