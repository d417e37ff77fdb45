"""The agent API's human loop: submit a draft for approval, hand a conversation off, learn
the outcome, report what was done. Authenticated with the agent's key; an agent sees only
its own approvals, handoffs and decisions (another's answer 404, as missing ones do)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.agents.authentication import AgentKeyAuthentication, IsAgent
from apps.core.errors import NotFound
from apps.humans import services
from apps.humans.models import Approval, Handoff
from apps.humans.serializers import (
    ApprovalAgentOut,
    ApprovalIn,
    HandoffAgentOut,
    HandoffIn,
    OutcomeIn,
    OutcomeOut,
)

TAG = "Agent API"
REPLAYED = "Idempotent-Replayed"


class AgentAPIView(APIView):
    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [IsAgent]

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
        responses={201: ApprovalAgentOut, 200: ApprovalAgentOut},
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
    @extend_schema(operation_id="approval_status", tags=[TAG], responses=ApprovalAgentOut)
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
        responses={201: HandoffAgentOut, 200: HandoffAgentOut},
    )
    def post(self, request: Request) -> Response:
        payload = HandoffIn(data=request.data)
        payload.is_valid(raise_exception=True)
        handoff, created = services.handoff_create(agent=self.agent, **payload.validated_data)
        return _created(HandoffAgentOut(handoff).data, created)


class HandoffStatusView(AgentAPIView):
    @extend_schema(operation_id="handoff_status", tags=[TAG], responses=HandoffAgentOut)
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
        responses={201: OutcomeOut, 200: OutcomeOut},
    )
    def post(self, request: Request, decision_id: str) -> Response:
        payload = OutcomeIn(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome, created = services.decision_outcome_report(
            agent=self.agent, decision_id=decision_id, **payload.validated_data
        )
        return _created(OutcomeOut(outcome).data, created)
