"""Audit events: one per change, chained by hash within each organization."""

from django.conf import settings
from django.db import models

from apps.audit.constants import ActorType


class AuditEvent(models.Model):
    """One change made by anyone, append-only; `hash` covers its content and `prev_hash`."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="audit_events"
    )
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Never updated, even when the person's account goes: the label below stays.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    # The actor as shown to people (username, agent key, task name); part of the hash.
    actor = models.CharField(max_length=200)
    verb = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    object_repr = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    via = models.CharField(max_length=100, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["organization", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "seq"], name="unique_audit_seq_per_org"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "verb", "at"], name="audit_org_verb_at"),
            models.Index(fields=["organization", "at"], name="audit_org_at"),
            models.Index(fields=["organization", "object_type", "object_id"], name="audit_org_obj"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.object_repr} by {self.actor}"


class AuditCheckpoint(models.Model):
    """A signed statement of an organization's chain head (seq and hash) at a moment: the
    signing key lives outside the database, so a chain recomputed by whoever can write the
    tables no longer matches the checkpoints an auditor holds."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="audit_checkpoints"
    )
    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["organization", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "seq"], name="unique_audit_checkpoint_seq"
            ),
        ]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} of {self.organization_id} at {self.at:%Y-%m-%d %H:%M}"
