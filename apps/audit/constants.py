"""Who can act, and the hash that starts each organization's chain."""

from django.db import models


class ActorType(models.TextChoices):
    USER = "user", "Person"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


GENESIS_HASH = "0" * 64

# Tables that only ever grow (PostgreSQL refuses UPDATE, DELETE and TRUNCATE on them; the
# decision log allows DELETE only to the retention service, see apps.audit migrations).
APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditcheckpoint", "checks_decision")
RETENTION_SETTING = "mandate.retention"


class Problem(models.TextChoices):
    """What verification can find, each naming the first event concerned."""

    ALTERED = "altered", "An event's content was changed"
    REMOVED = "removed", "Events are missing from the chain"
    INSERTED = "inserted", "An event was put into the chain"
    REORDERED = "reordered", "An event was moved to another place in the chain"
    REWRITTEN = "rewritten", "The chain differs from a signed checkpoint"
    BAD_CHECKPOINT = "bad_checkpoint", "A checkpoint's signature does not hold"
