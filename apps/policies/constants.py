"""Version states, action modes and the canonical key order of a policy document."""

from django.db import models


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"


class Mode(models.TextChoices):
    AUTONOMOUS = "autonomous", "Autonomous"
    APPROVAL = "approval", "Needs approval"
    ESCALATE = "escalate", "Escalate to a person"
    FORBIDDEN = "forbidden", "Out of scope"


FORMAT_VERSION = 1
TOP_LEVEL_ORDER = (
    "format",
    "name",
    "description",
    "defaults",
    "actions",
    "triggers",
    "data",
    "decision_rights",
)
DEFAULTS_ORDER = ("min_confidence", "approval_expires_after_hours")
ACTION_ORDER = (
    "mode",
    "min_confidence",
    "channels",
    "templates",
    "data",
    "fields",
    "limits",
    "approver_team",
    "route_to_team",
)
TRIGGER_ORDER = ("route_to_team", "respond_within_minutes")
LIST_KEYS = ("channels", "templates", "data", "fields")

# Import limits: a document is small; anything larger is refused before parsing.
MAX_DOCUMENT_BYTES = 512 * 1024
