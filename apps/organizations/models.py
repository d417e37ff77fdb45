"""Tenants, who belongs to them with which roles, and the teams that own decisions."""

from django.conf import settings
from django.db import models

from apps.organizations.constants import Capability


class Organization(models.Model):
    """A tenant. Nothing of one organization is ever visible to another."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

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
