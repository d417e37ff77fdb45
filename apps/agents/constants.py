"""Agent states and key sizes."""

from django.db import models

from apps.core.constants import AGENT_KEY_PREFIX


class AgentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


KEY_RANDOM_BYTES = 32
KEY_VISIBLE_CHARS = 8  # of the random part, kept in clear to list and recognise a key
KEY_PREFIX_LENGTH = len(AGENT_KEY_PREFIX) + KEY_VISIBLE_CHARS  # the visible prefix, stored
KEY_LAST_USED_RESOLUTION_SECONDS = 60
