"""The decision log: one row per answer given to an agent, written before the answer."""

from django.db import models


class Decision(models.Model):
    """One decision, with the request as received (sensitive fields masked), the version
    that decided it, and every reason."""

    decision_id = models.CharField(max_length=40, unique=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="decisions")
    key_prefix = models.CharField(max_length=32)
    policy = models.ForeignKey(
        "policies.Policy", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    policy_version = models.ForeignKey(
        "policies.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    action = models.CharField(max_length=200)
    decision = models.CharField(max_length=20)
    primary_reason = models.CharField(max_length=100)
    reason_codes = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    obligations = models.JSONField(default=dict)
    request = models.JSONField(default=dict)
    masked_paths = models.JSONField(default=list)
    request_id = models.CharField(max_length=200, blank=True)
    evaluated_at = models.DateTimeField()
    evaluation_us = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        # One index per filter of the log, each ending in the log's whole order (time, then id):
        # a filtered page is then read in order straight from its index, with no sort step, and
        # the keyset cursor on (evaluated_at, id) seeks into it at any depth.
        indexes = [
            models.Index(fields=["organization", "-evaluated_at", "-id"], name="decision_org_time"),
            models.Index(
                fields=["organization", "agent", "-evaluated_at", "-id"],
                name="decision_org_agent_time",
            ),
            models.Index(
                fields=["organization", "action", "-evaluated_at", "-id"],
                name="decision_org_action_time",
            ),
            models.Index(
                fields=["organization", "decision", "-evaluated_at", "-id"],
                name="decision_org_dec_time",
            ),
            models.Index(
                fields=["organization", "primary_reason", "-evaluated_at", "-id"],
                name="decision_org_reason_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.action} → {self.decision}"
