"""Policies and their immutable versions."""

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.policies.constants import VersionState


class Policy(models.Model):
    """A named delegation envelope; the agents it governs point at it."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="policies"
    )
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_policy_key"),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyVersion(models.Model):
    """One snapshot of a policy's document. Only drafts change; the database refuses any
    change to the content of a version that has left draft, any state change the life cycle
    does not have, and any change to a review once recorded (migration 0003)."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=12, choices=VersionState.choices, default=VersionState.DRAFT
    )
    # Canonical JSON text: keeps the author's order of actions on every database.
    document_text = models.TextField()
    content_hash = models.CharField(max_length=64)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Everyone who wrote any of its content: none of them may approve it.
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    # The version of each named template when the version was submitted: what was reviewed.
    template_pins = models.JSONField(default=dict, blank=True)
    # The content hash the reviewer approved; publication requires it to still match.
    approved_hash = models.CharField(max_length=64, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "policy", "number"], name="unique_policy_version_number"
            ),
            models.UniqueConstraint(
                fields=["policy"],
                condition=Q(state=VersionState.ACTIVE),
                name="one_active_version_per_policy",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "publish_at"],
                condition=Q(state=VersionState.APPROVED, publish_at__isnull=False),
                name="policy_version_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.name} v{self.number}"

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.document_text)

    @property
    def is_scheduled(self) -> bool:
        return self.state == VersionState.APPROVED and self.publish_at is not None
