"""Management API: agents, their keys, suspension and the kill switch."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.agents import services
from apps.agents.models import Agent
from apps.agents.serializers import (
    AgentIn,
    AgentKeyCreatedOut,
    AgentKeyIn,
    AgentKeyOut,
    AgentOut,
    AgentPatchIn,
    AutonomyIn,
    AutonomyOut,
)
from apps.core.api import refusals_of_state
from apps.core.openapi import conflict
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView


class AgentScoped(OrganizationAPIView):
    queryset = Agent.objects.select_related("team", "policy")
    serializer_class = AgentOut

    def get_agent(self) -> Agent:
        agent = self.get_queryset().filter(key=self.kwargs["agent"]).first()
        if agent is None:
            raise exceptions.NotFound("No such agent.")
        return agent


class AgentListView(AgentScoped):
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_AGENTS}

    @extend_schema(operation_id="orgs_agents_list", responses=AgentOut(many=True))
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset().order_by("name"))
        return self.get_paginated_response(AgentOut(page, many=True).data)

    @extend_schema(
        request=AgentIn,
        responses={
            201: AgentOut,
            409: conflict("An agent has this key, or the team or policy does not exist."),
        },
    )
    def post(self, request: Request, org: str) -> Response:
        payload = AgentIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            agent = services.agent_create(
                organization=self.organization, by=request.user, **payload.validated_data
            )
        return Response(AgentOut(agent).data, status=status.HTTP_201_CREATED)


class AgentDetailView(AgentScoped):
    permission_map = {"GET": Capability.VIEW, "PATCH": Capability.MANAGE_AGENTS}

    def get(self, request: Request, org: str, agent: str) -> Response:
        return Response(AgentOut(self.get_agent()).data)

    @extend_schema(
        request=AgentPatchIn,
        responses={200: AgentOut, 409: conflict("The team or policy does not exist.")},
    )
    def patch(self, request: Request, org: str, agent: str) -> Response:
        payload = AgentPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        target = self.get_agent()
        with refusals_of_state():
            updated = services.agent_update(agent=target, by=request.user, **payload.validated_data)
        return Response(AgentOut(updated).data)


class AgentStatusView(AgentScoped):
    permission_map = {"POST": Capability.MANAGE_AGENTS}
    suspend = True

    @extend_schema(
        request=None,
        responses={200: AgentOut, 409: conflict("The agent is already in that status.")},
    )
    def post(self, request: Request, org: str, agent: str) -> Response:
        act = services.agent_suspend if self.suspend else services.agent_resume
        return Response(AgentOut(act(agent=self.get_agent(), by=request.user)).data)


class AgentKeyListView(AgentScoped):
    permission_map = {"GET": Capability.MANAGE_AGENTS, "POST": Capability.MANAGE_AGENTS}
    serializer_class = AgentKeyOut
    pagination_class = None  # an agent has few keys

    @extend_schema(operation_id="orgs_agents_keys_list", responses=AgentKeyOut(many=True))
    def get(self, request: Request, org: str, agent: str) -> Response:
        return Response(AgentKeyOut(self.get_agent().keys.all(), many=True).data)

    @extend_schema(
        request=AgentKeyIn,
        responses={
            201: AgentKeyCreatedOut,
            409: conflict("A time is already past, or the key to rotate is no longer active."),
        },
    )
    def post(self, request: Request, org: str, agent: str) -> Response:
        payload = AgentKeyIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        target = self.get_agent()
        with refusals_of_state():
            if "rotate" in data:
                issued = services.agent_key_rotate(
                    agent=target,
                    by=request.user,
                    prefix=data["rotate"],
                    old_valid_until=data["old_valid_until"],
                    expires_at=data.get("expires_at"),
                )
            else:
                issued = services.agent_key_create(
                    agent=target, by=request.user, expires_at=data.get("expires_at")
                )
        return Response(
            {**AgentKeyOut(issued.key).data, "key": issued.raw}, status=status.HTTP_201_CREATED
        )


class AgentKeyRevokeView(AgentScoped):
    permission_map = {"POST": Capability.MANAGE_AGENTS}
    serializer_class = AgentKeyOut

    @extend_schema(
        request=None,
        responses={200: AgentKeyOut, 409: conflict("The key is already revoked.")},
    )
    def post(self, request: Request, org: str, agent: str, prefix: str) -> Response:
        key = services.agent_key_revoke(agent=self.get_agent(), by=request.user, prefix=prefix)
        return Response(AgentKeyOut(key).data)


class AutonomyView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW, "PUT": Capability.CONTROL_AUTONOMY}
    serializer_class = AutonomyOut

    def _out(self, organization) -> dict:
        return {
            "paused": organization.autonomy_paused_at is not None,
            "reason": organization.autonomy_paused_reason,
            "paused_at": organization.autonomy_paused_at,
        }

    def get_object(self):
        return self.organization  # what the switch belongs to

    def get(self, request: Request, org: str) -> Response:
        return Response(AutonomyOut(self._out(self.organization)).data)

    @extend_schema(
        request=AutonomyIn,
        responses={200: AutonomyOut, 409: conflict("Autonomy is already paused, or already on.")},
    )
    def put(self, request: Request, org: str) -> Response:
        payload = AutonomyIn(data=request.data)
        payload.is_valid(raise_exception=True)
        organization = services.organization_autonomy_set(
            organization=self.organization, by=request.user, **payload.validated_data
        )
        return Response(AutonomyOut(self._out(organization)).data)
