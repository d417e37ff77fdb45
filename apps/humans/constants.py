"""States, prefixes and windows of approvals, handoffs and outcomes."""

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


APPROVAL_ID_PREFIX = "apr_"
HANDOFF_ID_PREFIX = "hnd_"
# Where the policy names no window.
DEFAULT_APPROVAL_HOURS = 48
DEFAULT_HANDOFF_MINUTES = 60
# A reminder goes to the routed team once this share of the approval window is left.
REMINDER_WHEN_LEFT = 0.25
MAX_IDEMPOTENCY_KEY = 200
MAX_DETAIL = 1000
