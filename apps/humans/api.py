"""Management API of the human loop: the approval inbox and handoffs, for people. Who may
decide is the service's question (decision rights); reading needs the inbox capability."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from apps.humans import services
from apps.humans.constants import ApprovalStatus, HandoffStatus
from apps.humans.models import Approval, Handoff
from apps.humans.selectors import approvals_list, handoffs_list
from apps.humans.serializers import ApprovalDecideIn, ApprovalOut, HandoffCloseIn, HandoffOut
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView

LIST_FILTERS = [
    OpenApiParameter("status", str),
    OpenApiParameter("mine", bool, description="only what is routed to my teams"),
]


def _status(request: Request, allowed) -> str:
    value = request.query_params.get("status", "")
    if value and value not in allowed:
        raise exceptions.ValidationError({"status": f"Use one of {', '.join(allowed)}."})
    return value


def _mine(request: Request) -> bool:
    return request.query_params.get("mine", "") in ("1", "true", "yes")


class ApprovalListView(OrganizationAPIView):
    permission_map = {"GET": Capability.WORK_INBOX}
    queryset = Approval.objects.all()
    serializer_class = ApprovalOut

    def get_base_queryset(self):
        return approvals_list(
            organization=self.organization,
            user=self.request.user,
            status=_status(self.request, ApprovalStatus.values),
            mine=_mine(self.request),
        )

    @extend_schema(operation_id="orgs_approvals_list", parameters=LIST_FILTERS)
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ApprovalOut(page, many=True).data)


class ApprovalScoped(OrganizationAPIView):
    queryset = Approval.objects.select_related("agent", "team", "decision", "decided_by")

    def get_approval(self) -> Approval:
        found = self.get_queryset().filter(public_id=self.kwargs["approval_id"]).first()
        if found is None:
            raise exceptions.NotFound("No such approval.")
        return found


class ApprovalDetailView(ApprovalScoped):
    permission_map = {"GET": Capability.WORK_INBOX}

    @extend_schema(responses=ApprovalOut)
    def get(self, request: Request, org: str, approval_id: str) -> Response:
        return Response(ApprovalOut(self.get_approval()).data)


class ApprovalDecideView(ApprovalScoped):
    permission_map = {"POST": Capability.WORK_INBOX}

    @extend_schema(request=ApprovalDecideIn, responses=ApprovalOut)
    def post(self, request: Request, org: str, approval_id: str) -> Response:
        payload = ApprovalDecideIn(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = services.approval_decide(
            approval=self.get_approval(), by=request.user, **payload.validated_data
        )
        return Response(ApprovalOut(decided).data)


class HandoffListView(OrganizationAPIView):
    permission_map = {"GET": Capability.WORK_INBOX}
    queryset = Handoff.objects.all()
    serializer_class = HandoffOut

    def get_base_queryset(self):
        return handoffs_list(
            organization=self.organization,
            user=self.request.user,
            status=_status(self.request, HandoffStatus.values),
            mine=_mine(self.request),
        )

    @extend_schema(operation_id="orgs_handoffs_list", parameters=LIST_FILTERS)
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(HandoffOut(page, many=True).data)


class HandoffScoped(OrganizationAPIView):
    queryset = Handoff.objects.select_related("agent", "team", "decision", "assignee")

    def get_handoff(self) -> Handoff:
        found = self.get_queryset().filter(public_id=self.kwargs["handoff_id"]).first()
        if found is None:
            raise exceptions.NotFound("No such handoff.")
        return found


class HandoffDetailView(HandoffScoped):
    permission_map = {"GET": Capability.WORK_INBOX}

    @extend_schema(responses=HandoffOut)
    def get(self, request: Request, org: str, handoff_id: str) -> Response:
        return Response(HandoffOut(self.get_handoff()).data)


class HandoffClaimView(HandoffScoped):
    permission_map = {"POST": Capability.WORK_INBOX}

    @extend_schema(request=None, responses=HandoffOut)
    def post(self, request: Request, org: str, handoff_id: str) -> Response:
        claimed = services.handoff_claim(handoff=self.get_handoff(), by=request.user)
        return Response(HandoffOut(claimed).data)


class HandoffCloseView(HandoffScoped):
    permission_map = {"POST": Capability.WORK_INBOX}

    @extend_schema(request=HandoffCloseIn, responses=HandoffOut)
    def post(self, request: Request, org: str, handoff_id: str) -> Response:
        payload = HandoffCloseIn(data=request.data)
        payload.is_valid(raise_exception=True)
        closed = services.handoff_close(
            handoff=self.get_handoff(), by=request.user, **payload.validated_data
        )
        return Response(HandoffOut(closed).data)
