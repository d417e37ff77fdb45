"""Tenants, who belongs to them with which roles, and the teams that own decisions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.organizations.constants import Capability, InvitationStatus


class Organization(models.Model):
    """A tenant. Nothing of one organization is ever visible to another."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # The kill switch: while set, every would-be allow becomes require_approval.
    autonomy_paused_at = models.DateTimeField(null=True, blank=True)
    autonomy_paused_reason = models.CharField(max_length=500, blank=True)
    # Decisions older than this many days, with no approval, handoff or outcome attached, are
    # deleted by apps.audit.retention (each run an audit event); null keeps them forever.
    decision_retention_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        default_permissions = ()
        permissions = [(c.value, c.label) for c in Capability]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in an organization, with one or more roles."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    # A list of Role values; a person may hold several.
    roles = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="unique_membership_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"


class Team(models.Model):
    """People who own a kind of decision (deal desk, solutions engineering, …)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="unique_team_key_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A member of an organization in one of its teams."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="team_memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "user"], name="unique_team_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An invitation to join an organization with some roles, accepted by following the
    link sent to the address; only the token's SHA-256 is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    roles = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING
