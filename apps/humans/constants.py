"""States, prefixes and windows of approvals, handoffs and outcomes."""

from typing import Any

from django.db import models


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a person"
    APPROVED = "approved", "Approved"
    EDITED = "edited", "Approved with changes"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class Verdict(models.TextChoices):
    APPROVE = "approve", "Approve"
    EDIT = "edit", "Edit, then approve"
    REJECT = "reject", "Reject"


class HandoffStatus(models.TextChoices):
    OPEN = "open", "Waiting for someone"
    CLAIMED = "claimed", "Being worked"
    RESOLVED = "resolved", "Resolved"
    RETURNED = "returned", "Handed back to the agent"


# Handoffs not yet closed: waiting for someone, or claimed and being worked.
HANDOFF_ACTIVE = (HandoffStatus.OPEN, HandoffStatus.CLAIMED)


APPROVAL_ID_PREFIX = "apr_"
HANDOFF_ID_PREFIX = "hnd_"
# Where the policy names no window.
DEFAULT_APPROVAL_HOURS = 48
DEFAULT_HANDOFF_MINUTES = 60
# A reminder goes to the routed team once this share of the approval window is left.
REMINDER_WHEN_LEFT = 0.25
MAX_IDEMPOTENCY_KEY = 200
MAX_DETAIL = 1000

# The windows, in days, the trust figures and the handoff service levels are shown over.
REPORT_WINDOWS = (7, 30, 90)
DEFAULT_REPORT_WINDOW = 30
REPORT_WINDOW_MESSAGE = f"Use one of {', '.join(map(str, REPORT_WINDOWS))}."


def report_window(*, days: Any) -> int:
    """One of REPORT_WINDOWS from a query parameter; the default for anything else."""
    try:
        value = int(days)
    except (TypeError, ValueError):
        return DEFAULT_REPORT_WINDOW
    return value if value in REPORT_WINDOWS else DEFAULT_REPORT_WINDOW


# ---- outbound webhooks and e-mail notifications ----------------------------------------


class WebhookEvent(models.TextChoices):
    APPROVAL_CREATED = "approval.created", "An approval is waiting for a person"
    APPROVAL_RESOLVED = "approval.resolved", "An approval was approved, edited, rejected or expired"
    HANDOFF_CREATED = "handoff.created", "A conversation was handed to a person"
    HANDOFF_OVERDUE = "handoff.overdue", "A handoff is past its response time"
    HANDOFF_RESOLVED = "handoff.resolved", "A handoff was resolved or handed back to the agent"
    POLICY_VERSION_PUBLISHED = "policy_version.published", "A policy version became active"


class WebhookFormat(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"


class WebhookStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class NotificationKind(models.TextChoices):
    APPROVAL_CREATED = "approval_created", "New approval"
    APPROVAL_REMINDER = "approval_reminder", "Approval due soon"
    HANDOFF_CREATED = "handoff_created", "New handoff"
    HANDOFF_OVERDUE = "handoff_overdue", "Handoff overdue"


WEBHOOK_ENDPOINT_ID_PREFIX = "whe_"
WEBHOOK_MESSAGE_ID_PREFIX = "msg_"
WEBHOOK_SECRET_PREFIX = "whsec_"  # the Standard Webhooks form: whsec_<base64 of the key>
WEBHOOK_SECRET_BYTES = 24
MAX_WEBHOOK_URL = 2000
MAX_WEBHOOK_ENDPOINTS = 20  # per organization, besides those its agents register
MAX_AGENT_WEBHOOK_ENDPOINTS = 5  # per agent
# What an agent may be told of: its own approvals and handoffs, nothing organization-wide.
AGENT_WEBHOOK_EVENTS = (
    WebhookEvent.APPROVAL_CREATED,
    WebhookEvent.APPROVAL_RESOLVED,
    WebhookEvent.HANDOFF_CREATED,
    WebhookEvent.HANDOFF_OVERDUE,
    WebhookEvent.HANDOFF_RESOLVED,
)
AGENT_WEBHOOK_EVENT_CHOICES = [(event.value, event.label) for event in AGENT_WEBHOOK_EVENTS]
# After a rotation, messages are signed with the old secret too for this long, so that
# receivers can switch over without dropping any (Standard Webhooks allows several signatures).
WEBHOOK_SECRET_OVERLAP_HOURS = 24
# No retry waits longer than this, however many attempts came before.
WEBHOOK_BACKOFF_CAP_SECONDS = 3600
# At most this many due messages are queued by one sweep.
WEBHOOK_SWEEP_BATCH = 200
# What is kept of a receiver's answer, for the delivery history.
WEBHOOK_RESPONSE_EXCERPT = 500
WEBHOOK_USER_AGENT = "Mandate-Webhooks/1"
