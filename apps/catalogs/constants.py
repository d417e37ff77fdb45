"""Choices for catalog entries, and the vocabulary suggested for free-form document keys."""

from django.db import models


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class TemplateKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    PROPOSAL = "proposal", "Proposal"
    MESSAGE = "message", "Message"
    CRM_NOTE = "crm_note", "CRM note"
    MEETING = "meeting", "Meeting invitation"


class CatalogKind(models.TextChoices):
    ACTIONS = "actions", "Actions"
    SIGNALS = "signals", "Signals"
    DATA_CATEGORIES = "data-categories", "Data categories"
    TEMPLATES = "templates", "Templates"


# Channels and CRM fields are not catalogued (any key is valid in a document); the editor
# offers these as a starting point.
SUGGESTED_CHANNELS = ["email", "phone", "sms", "chat", "linkedin", "meeting"]
SUGGESTED_CRM_FIELDS = [
    "activity_log",
    "next_step",
    "deal_stage",
    "close_date",
    "amount",
    "contact_owner",
    "lead_status",
    "notes",
]
