"""Management API: organizations, members and teams."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.retention import organization_retention_set
from apps.core.api import refusals_of_state
from apps.core.openapi import conflict
from apps.organizations import services
from apps.organizations.constants import Capability
from apps.organizations.models import Invitation, Membership, Team
from apps.organizations.selectors import members_list, organizations_for_user, teams_list
from apps.organizations.serializers import (
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberPatchIn,
    OrganizationDetailOut,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatchIn,
    TeamIn,
    TeamOut,
    TeamPatchIn,
)
from apps.organizations.tenancy import OrganizationAPIView


class OrganizationListView(GenericAPIView):
    """The organizations the caller belongs to; POST creates one with the caller as owner."""

    serializer_class = OrganizationOut
    pagination_class = None  # a person belongs to few organizations

    def _roles(self, request: Request) -> dict[int, list[str]]:
        return {m.organization_id: m.roles for m in Membership.objects.filter(user=request.user)}

    @extend_schema(operation_id="orgs_list", responses=OrganizationOut(many=True))
    def get(self, request: Request) -> Response:
        orgs = organizations_for_user(user=request.user)
        data = OrganizationOut(orgs, many=True, context={"roles": self._roles(request)}).data
        return Response(data)

    @extend_schema(
        request=OrganizationIn,
        responses={201: OrganizationOut, 409: conflict("Another organization has this slug.")},
    )
    def post(self, request: Request) -> Response:
        payload = OrganizationIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            org = services.organization_create(by=request.user, **payload.validated_data)
        out = OrganizationOut(org, context={"roles": self._roles(request)})
        return Response(out.data, status=status.HTTP_201_CREATED)


class OrganizationDetailView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW, "PATCH": Capability.MANAGE_MEMBERS}
    serializer_class = OrganizationDetailOut

    def get(self, request: Request, org: str) -> Response:
        out = OrganizationDetailOut(
            self.organization, context={"roles": {self.organization.pk: self.membership.roles}}
        )
        return Response(out.data)

    @extend_schema(request=OrganizationPatchIn, responses=OrganizationDetailOut)
    def patch(self, request: Request, org: str) -> Response:
        payload = OrganizationPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        if "decision_retention_days" in payload.validated_data:
            organization_retention_set(
                organization=self.organization,
                by=request.user,
                days=payload.validated_data["decision_retention_days"],
            )
        return self.get(request, org)


class MemberListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_MEMBERS}
    serializer_class = MemberOut

    def get_base_queryset(self):
        return members_list(organization=self.organization)

    @extend_schema(operation_id="orgs_members_list", responses=MemberOut(many=True))
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberOut(page, many=True).data)

    @extend_schema(
        request=InvitationIn,
        responses={
            201: InvitationOut,
            409: conflict("The address belongs to a member, or has a pending invitation."),
        },
        description="Invites a person by e-mail; they become a member when they accept.",
    )
    def post(self, request: Request, org: str) -> Response:
        payload = InvitationIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            invitation = services.invitation_create(
                organization=self.organization, by=request.user, **payload.validated_data
            )
        return Response(InvitationOut(invitation).data, status=status.HTTP_201_CREATED)


class MemberDetailView(OrganizationAPIView):
    permission_map = {
        "GET": Capability.VIEW,
        "PATCH": Capability.MANAGE_MEMBERS,
        "DELETE": Capability.MANAGE_MEMBERS,
    }
    serializer_class = MemberOut

    def get_base_queryset(self):
        return members_list(organization=self.organization)

    def get(self, request: Request, org: str, username: str) -> Response:
        return Response(MemberOut(self.get_object_or_404(user__username=username)).data)

    @extend_schema(
        request=MemberPatchIn,
        responses={200: MemberOut, 409: conflict("The last owner cannot stop being owner.")},
    )
    def patch(self, request: Request, org: str, username: str) -> Response:
        membership = self.get_object_or_404(user__username=username)
        payload = MemberPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        services.membership_set_roles(
            membership=membership, by=request.user, roles=payload.validated_data["roles"]
        )
        return Response(MemberOut(self.get_object_or_404(pk=membership.pk)).data)

    @extend_schema(
        responses={204: None, 409: conflict("The last owner cannot leave.")},
    )
    def delete(self, request: Request, org: str, username: str) -> Response:
        membership = self.get_object_or_404(user__username=username)
        services.membership_remove(membership=membership, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_TEAMS}
    serializer_class = TeamOut

    def get_base_queryset(self):
        return teams_list(organization=self.organization)

    @extend_schema(operation_id="orgs_teams_list", responses=TeamOut(many=True))
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TeamOut(page, many=True).data)

    @extend_schema(
        request=TeamIn,
        responses={
            201: TeamOut,
            409: conflict("A team has this key, or a username is not a member."),
        },
    )
    def post(self, request: Request, org: str) -> Response:
        payload = TeamIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with refusals_of_state():
            team = services.team_create(organization=self.organization, by=request.user, **data)
        return Response(TeamOut(self.get_object_or_404(pk=team.pk)).data, status=201)


class TeamDetailView(OrganizationAPIView):
    permission_map = {
        "GET": Capability.VIEW,
        "PATCH": Capability.MANAGE_TEAMS,
        "DELETE": Capability.MANAGE_TEAMS,
    }
    serializer_class = TeamOut

    def get_base_queryset(self):
        return teams_list(organization=self.organization)

    def get(self, request: Request, org: str, team: str) -> Response:
        return Response(TeamOut(self.get_object_or_404(key=team)).data)

    @extend_schema(
        request=TeamPatchIn,
        responses={200: TeamOut, 409: conflict("A username is not a member.")},
    )
    def patch(self, request: Request, org: str, team: str) -> Response:
        obj: Team = self.get_object_or_404(key=team)
        payload = TeamPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with refusals_of_state():
            services.team_edit(team=obj, by=request.user, **data)
        return Response(TeamOut(self.get_object_or_404(pk=obj.pk)).data)

    @extend_schema(
        responses={204: None, 409: conflict("Policies or agents still name the team.")},
    )
    def delete(self, request: Request, org: str, team: str) -> Response:
        services.team_delete(team=self.get_object_or_404(key=team), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(OrganizationAPIView):
    permission_map = {"GET": Capability.MANAGE_MEMBERS}
    serializer_class = InvitationOut
    queryset = Invitation.objects.select_related("invited_by")

    @extend_schema(operation_id="orgs_invitations_list", responses=InvitationOut(many=True))
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(InvitationOut(page, many=True).data)


class InvitationActionView(OrganizationAPIView):
    permission_map = {"POST": Capability.MANAGE_MEMBERS}
    serializer_class = InvitationOut
    queryset = Invitation.objects.select_related("invited_by")
    action: str = ""

    @extend_schema(
        request=None,
        responses={200: InvitationOut, 409: conflict("The invitation is no longer open.")},
    )
    def post(self, request: Request, org: str, pk: int) -> Response:
        invitation = self.get_object_or_404(pk=pk)
        act = services.invitation_resend if self.action == "resend" else services.invitation_revoke
        invitation = act(invitation=invitation, by=request.user)
        return Response(InvitationOut(self.get_object_or_404(pk=invitation.pk)).data)
