"""The agent API's human loop: submit a draft for approval, hand a conversation off, learn
the outcome (or register a webhook to be told it), report what was done. Authenticated with
the agent's key; an agent sees only its own approvals, handoffs, decisions and webhooks
(another's answer 404, as missing ones do)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.agents.authentication import AgentKeyAuthentication, IsAgent
from apps.checks.constants import MAX_JSON_DEPTH
from apps.checks.openapi import agent_errors
from apps.core.api import refusals_of_state
from apps.core.errors import NotFound
from apps.core.parsers import JSONBodyParser
from apps.humans import services
from apps.humans.models import Approval, Handoff
from apps.humans.selectors import agent_webhook_endpoints_list
from apps.humans.serializers import (
    AgentWebhookIn,
    AgentWebhookListOut,
    AgentWebhookOut,
    AgentWebhookSecretOut,
    ApprovalAgentOut,
    ApprovalIn,
    HandoffAgentOut,
    HandoffIn,
    OutcomeIn,
    OutcomeOut,
)

TAG = "Agent API"
REPLAYED = "Idempotent-Replayed"


class AgentJSONParser(JSONBodyParser):
    """A body read as the check path reads one, so that the whole agent API accepts the
    same JSON."""

    max_depth = MAX_JSON_DEPTH


class AgentAPIView(APIView):
    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [IsAgent]
    parser_classes = [AgentJSONParser]

    @property
    def agent(self):
        return self.request.user.agent


def _created(data, created: bool) -> Response:
    response = Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
    if not created:
        response[REPLAYED] = "true"
    return response


class ApprovalSubmitView(AgentAPIView):
    @extend_schema(
        operation_id="approval_submit",
        tags=[TAG],
        request=ApprovalIn,
        responses={
            201: ApprovalAgentOut,
            200: ApprovalAgentOut,
            **agent_errors(400, 401, 404, 409, 413, 422),
        },
        description="Submit the draft behind a require_approval decision. The same "
        "idempotency_key with the same body answers the same approval (200); with another "
        "body, 422.",
    )
    def post(self, request: Request) -> Response:
        payload = ApprovalIn(data=request.data)
        payload.is_valid(raise_exception=True)
        approval, created = services.approval_submit(agent=self.agent, **payload.validated_data)
        return _created(ApprovalAgentOut(approval).data, created)


class ApprovalStatusView(AgentAPIView):
    @extend_schema(
        operation_id="approval_status",
        tags=[TAG],
        responses={200: ApprovalAgentOut, **agent_errors(401, 404)},
    )
    def get(self, request: Request, approval_id: str) -> Response:
        approval = (
            Approval.objects.select_related("decision", "team", "decided_by")
            .filter(agent=self.agent, public_id=approval_id)
            .first()
        )
        if approval is None:
            raise NotFound("No such approval.")
        return Response(ApprovalAgentOut(approval).data)


class HandoffCreateView(AgentAPIView):
    @extend_schema(
        operation_id="handoff_create",
        tags=[TAG],
        request=HandoffIn,
        responses={
            201: HandoffAgentOut,
            200: HandoffAgentOut,
            **agent_errors(400, 401, 404, 409, 413, 422),
        },
    )
    def post(self, request: Request) -> Response:
        payload = HandoffIn(data=request.data)
        payload.is_valid(raise_exception=True)
        handoff, created = services.handoff_create(agent=self.agent, **payload.validated_data)
        return _created(HandoffAgentOut(handoff).data, created)


class HandoffStatusView(AgentAPIView):
    @extend_schema(
        operation_id="handoff_status",
        tags=[TAG],
        responses={200: HandoffAgentOut, **agent_errors(401, 404)},
    )
    def get(self, request: Request, handoff_id: str) -> Response:
        handoff = (
            Handoff.objects.select_related("decision", "team", "assignee")
            .filter(agent=self.agent, public_id=handoff_id)
            .first()
        )
        if handoff is None:
            raise NotFound("No such handoff.")
        return Response(HandoffAgentOut(handoff).data)


class OutcomeView(AgentAPIView):
    @extend_schema(
        operation_id="decision_outcome",
        tags=[TAG],
        request=OutcomeIn,
        responses={201: OutcomeOut, 200: OutcomeOut, **agent_errors(400, 401, 404, 409, 413)},
    )
    def post(self, request: Request, decision_id: str) -> Response:
        payload = OutcomeIn(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome, created = services.decision_outcome_report(
            agent=self.agent, decision_id=decision_id, **payload.validated_data
        )
        return _created(OutcomeOut(outcome).data, created)


class WebhookListView(AgentAPIView):
    @extend_schema(
        operation_id="webhook_list",
        tags=[TAG],
        responses={200: AgentWebhookListOut, **agent_errors(401)},
        description="The webhooks this agent registered (a person may have disabled one: "
        "active is then false).",
    )
    def get(self, request: Request) -> Response:
        endpoints = agent_webhook_endpoints_list(agent=self.agent)
        return Response({"results": AgentWebhookOut(endpoints, many=True).data})

    @extend_schema(
        operation_id="webhook_register",
        tags=[TAG],
        request=AgentWebhookIn,
        responses={201: AgentWebhookSecretOut, **agent_errors(400, 401, 409, 413)},
        description="Be told of this agent's own approvals and handoffs instead of polling. "
        "Each message is signed the Standard Webhooks way with the secret in this answer, "
        "shown only this once. A URL whose host is, or resolves to, an internal address is "
        "refused with 409, naming the field.",
    )
    def post(self, request: Request) -> Response:
        payload = AgentWebhookIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():  # the host's addresses, not the request's form
            endpoint = services.agent_webhook_endpoint_create(
                agent=self.agent, **payload.validated_data
            )
        response = Response(AgentWebhookSecretOut(endpoint).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"  # holds a secret shown once
        return response


class WebhookDetailView(AgentAPIView):
    @extend_schema(
        operation_id="webhook_delete",
        tags=[TAG],
        responses={204: None, **agent_errors(401, 404)},
        description="Stop being told: the webhook and its delivery history are removed.",
    )
    def delete(self, request: Request, webhook_id: str) -> Response:
        found = agent_webhook_endpoints_list(agent=self.agent).filter(public_id=webhook_id).first()
        if found is None:
            raise NotFound("No such webhook.")
        services.webhook_endpoint_delete(endpoint=found, by=self.agent)
        return Response(status=status.HTTP_204_NO_CONTENT)
