"""Input and output serializers for organizations, members and teams (separate, so that no
client-writable field exists by accident)."""

from rest_framework import serializers

from apps.audit.retention import MAX_RETENTION_DAYS
from apps.core.api import Integer, StrictSerializer
from apps.organizations.constants import Role
from apps.organizations.models import Invitation, Membership, Organization, Team


class OrganizationOut(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["slug", "name", "created_at", "roles"]

    def get_roles(self, obj: Organization) -> list[str]:
        roles = self.context.get("roles", {})
        return roles.get(obj.pk, [])


class OrganizationIn(StrictSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=50)


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
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")
    teams = serializers.SerializerMethodField()
    joined_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Membership
        fields = ["username", "email", "name", "roles", "teams", "joined_at"]

    def get_teams(self, obj: Membership) -> list[str]:
        return [tm.team.key for tm in getattr(obj.user, "org_team_memberships", [])]


class InvitationIn(StrictSerializer):
    email = serializers.CharField(max_length=254)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))


class InvitationOut(serializers.ModelSerializer):
    status = serializers.CharField()
    invited_by = serializers.CharField(source="invited_by.username")

    class Meta:
        model = Invitation
        fields = ["id", "email", "roles", "status", "invited_by", "created_at", "expires_at"]


class MemberPatchIn(StrictSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=False
    )


class TeamOut(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["key", "name", "description", "members", "created_at"]

    def get_members(self, obj: Team) -> list[str]:
        return [tm.user.username for tm in obj.team_memberships.all()]


class TeamIn(StrictSerializer):
    key = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    members = serializers.ListField(child=serializers.CharField(), required=False)


class TeamPatchIn(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    members = serializers.ListField(child=serializers.CharField(), required=False)
