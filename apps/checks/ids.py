"""Decision ids: dec_ + a time-ordered, unguessable public id."""

from apps.checks.constants import DECISION_ID_PREFIX
from apps.core.ids import new_public_id


def new_decision_id() -> str:
    return new_public_id(DECISION_ID_PREFIX)
