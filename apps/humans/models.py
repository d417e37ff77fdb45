"""Approvals and handoffs: the work the policy routes to people, and what agents report
they did with a decision."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.humans.constants import ApprovalStatus, HandoffStatus


class Approval(models.Model):
    """A draft behind a require_approval decision, waiting for a person of the routed team
    (or, when the policy names none, an owner) to approve, edit then approve, or reject."""

    public_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="approvals"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="approvals")
    decision = models.OneToOneField(
        "checks.Decision", on_delete=models.PROTECT, related_name="approval"
    )
    team = models.ForeignKey(
        "organizations.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals",
    )
    action = models.CharField(max_length=200)
    draft = models.JSONField()
    context = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    final_draft = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agent", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_approval_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "due_at"], name="approval_org_status_due"
            ),
            models.Index(
                fields=["organization", "agent", "action", "created_at"], name="approval_trust"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.action} ({self.status})"


class Handoff(models.Model):
    """A conversation an agent hands to a person after an escalate decision, with the
    context package the person reads before speaking."""

    public_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="handoffs"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="handoffs")
    decision = models.OneToOneField(
        "checks.Decision", on_delete=models.PROTECT, related_name="handoff"
    )
    team = models.ForeignKey(
        "organizations.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoffs",
    )
    action = models.CharField(max_length=200)
    reason = models.CharField(max_length=100)  # the decisive reason code of the decision
    context = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)
    follow_up = models.TextField(blank=True)  # what the agent is asked to do next
    due_at = models.DateTimeField()
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agent", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_handoff_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "due_at"], name="handoff_org_status_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.action} ({self.status})"


class Outcome(models.Model):
    """What an agent reports it did with a decision: executed or not, and a detail."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="+")
    decision = models.OneToOneField(
        "checks.Decision", on_delete=models.PROTECT, related_name="outcome"
    )
    executed = models.BooleanField()
    detail = models.CharField(max_length=1000, blank=True)
    reported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.decision_id}: {'executed' if self.executed else 'not executed'}"
