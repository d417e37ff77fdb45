"""Who can act, and the hash that starts each organization's chain."""

from django.db import models


class ActorType(models.TextChoices):
    USER = "user", "Person"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


GENESIS_HASH = "0" * 64
