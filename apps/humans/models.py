"""Approvals and handoffs: the work the policy routes to people, and what agents report
they did with a decision; the webhooks that tell other systems about them, and their outbox."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.humans.constants import (
    MAX_WEBHOOK_URL,
    ApprovalStatus,
    HandoffStatus,
    WebhookFormat,
    WebhookStatus,
)


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
    # The last overdue announcement, and how many there have been.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notices = models.PositiveIntegerField(default=0)
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


class WebhookEndpoint(models.Model):
    """A URL of the organization's that is told about the events it subscribes to, signed
    with its secret (Standard Webhooks) or shaped for a Slack incoming webhook. The secret is
    kept as given to the receiver, since each delivery is signed with it; it is shown in full
    only when created or rotated. One an agent registered (`agent` set) is told only of that
    agent's own approvals and handoffs, and goes away with the agent."""

    public_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    agent = models.ForeignKey(
        "agents.Agent",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
    )
    url = models.URLField(max_length=MAX_WEBHOOK_URL)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)  # WebhookEvent values
    format = models.CharField(
        max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.STANDARD
    )
    secret = models.CharField(max_length=100)
    # Until previous_secret_until, messages also carry a signature made with the old secret.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "active"], name="webhook_org_active")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"

    @property
    def secret_hint(self) -> str:
        return self.secret[:10] + "…"


class WebhookMessage(models.Model):
    """The transactional outbox: one event for one endpoint, written in the transaction of
    the change it reports, and delivered by the worker until the receiver answers 2xx or the
    attempts run out. Its public id is the webhook-id the receiver sees on every attempt."""

    public_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event_type = models.CharField(max_length=50)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)  # every attempt ever made
    # A manual redelivery starts a new round of attempts and backoff from here.
    round_starts_after = models.PositiveIntegerField(default=0)
    # When pending: when the next attempt is due; while an attempt runs, the end of its lease.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper: pending messages in the order they fall due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=WebhookStatus.PENDING),
                name="webhook_message_due",
            ),
            # An endpoint's delivery history, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_message_history"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.event_type} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at delivering a message: when, what the receiver answered or what went wrong.
    An attempt with no finish was cut short (its worker stopped) and was tried again."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=MAX_WEBHOOK_URL)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    response_excerpt = models.CharField(max_length=1000, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="unique_webhook_attempt")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number}: {self.status_code or self.error or 'running'}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
