"""Input and output serializers for organizations, members and teams (separate, so that no
client-writable field exists by accident)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.audit.retention import MAX_RETENTION_DAYS
from apps.core.api import (
    EMAIL,
    Integer,
    StrictSerializer,
    Text,
    key_field,
    name_field,
    text_field,
)
from apps.organizations.constants import RESERVED_ORG_SLUGS, InvitationStatus, Role
from apps.organizations.models import Invitation, Membership, Organization, Team


def _roles(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), **kwargs)


class OrganizationOut(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["slug", "name", "created_at", "roles"]

    @extend_schema_field(_roles(help_text="Your roles in it."))
    def get_roles(self, obj: Organization) -> list[str]:
        roles = self.context.get("roles", {})
        return roles.get(obj.pk, [])


class OrganizationIn(StrictSerializer):
    name = name_field(max_length=200)
    slug = key_field(
        max_length=50,
        reserved=RESERVED_ORG_SLUGS,
        help_text="Its address, /o/<slug>/; one another organization has answers 409.",
    )


class OrganizationDetailOut(OrganizationOut):
    class Meta(OrganizationOut.Meta):
        fields = [*OrganizationOut.Meta.fields, "decision_retention_days"]


class OrganizationPatchIn(StrictSerializer):
    decision_retention_days = Integer(
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        allow_null=True,
        required=False,
        help_text="Days a decision no person worked on is kept, then deleted (null: forever).",
    )


class MemberOut(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")
    roles = _roles()
    teams = serializers.SerializerMethodField()
    joined_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Membership
        fields = ["username", "email", "name", "roles", "teams", "joined_at"]

    def get_teams(self, obj: Membership) -> list[str]:
        return [tm.team.key for tm in getattr(obj.user, "org_team_memberships", [])]


class InvitationIn(StrictSerializer):
    email = Text(pattern=EMAIL, message="Enter a valid e-mail address.", max_length=254)
    roles = _roles(allow_empty=False, min_length=1)


class InvitationOut(serializers.ModelSerializer):
    email = serializers.CharField()
    roles = _roles()
    status = serializers.ChoiceField(choices=InvitationStatus.choices)
    invited_by = serializers.CharField(source="invited_by.username")

    class Meta:
        model = Invitation
        fields = ["id", "email", "roles", "status", "invited_by", "created_at", "expires_at"]


class MemberPatchIn(StrictSerializer):
    roles = _roles(allow_empty=False, min_length=1)


class TeamOut(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["key", "name", "description", "members", "created_at"]

    def get_members(self, obj: Team) -> list[str]:
        return [tm.user.username for tm in obj.team_memberships.all()]


def _members(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=Text(allow_blank=True),
        help_text="Usernames, all members of the organization (others answer 409); the team's "
        "members become exactly these.",
        **kwargs,
    )


class TeamIn(StrictSerializer):
    key = key_field(max_length=50)
    name = name_field(max_length=200)
    description = text_field(default="")
    members = _members(required=False)


class TeamPatchIn(StrictSerializer):
    name = name_field(max_length=200, required=False)
    description = text_field()
    members = _members(required=False)
