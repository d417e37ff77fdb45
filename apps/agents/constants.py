"""Agent states and key sizes."""

from django.db import models


class AgentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


KEY_RANDOM_BYTES = 32
KEY_VISIBLE_CHARS = 8  # of the random part, kept in clear to list and recognise a key
KEY_LAST_USED_RESOLUTION_SECONDS = 60
