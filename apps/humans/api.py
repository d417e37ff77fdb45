"""Management API of the human loop: the approval inbox and handoffs, for people. Who may
decide is the service's question (decision rights); reading needs the inbox capability.
Webhooks (endpoints, their secrets, their deliveries) need the webhook capability."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import boolean_param, query_param, refusals_of_state
from apps.core.openapi import conflict
from apps.humans import services
from apps.humans.constants import ApprovalStatus, HandoffStatus, Verdict
from apps.humans.models import Approval, Handoff, WebhookEndpoint, WebhookMessage
from apps.humans.selectors import (
    approvals_list,
    handoffs_list,
    webhook_endpoints_list,
    webhook_messages_list,
)
from apps.humans.serializers import (
    ApprovalApproveIn,
    ApprovalEditIn,
    ApprovalOut,
    ApprovalRejectIn,
    HandoffHandBackIn,
    HandoffOut,
    HandoffResolveIn,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatchIn,
    WebhookEndpointSecretOut,
    WebhookMessageDetailOut,
    WebhookMessageOut,
)
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView


def _filters(statuses: list[str]) -> list[OpenApiParameter]:
    return [
        OpenApiParameter("status", str, enum=statuses, description="Only those in this status."),
        OpenApiParameter("mine", bool, description="Only what is routed to my teams."),
    ]


def _status(request: Request, allowed: list[str]) -> str:
    value = query_param(request, "status")
    if value is not None and value not in allowed:
        raise exceptions.ValidationError({"status": f"Use one of {', '.join(allowed)}."})
    return value or ""


def _mine(request: Request) -> bool:
    return bool(boolean_param(request, "mine"))


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

    @extend_schema(
        operation_id="orgs_approvals_list",
        parameters=_filters(ApprovalStatus.values),
        responses=ApprovalOut(many=True),
    )
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


class ApprovalVerdictView(ApprovalScoped):
    """approve/, edit/, reject/: one verdict each, decided by the service (decision rights,
    and exactly one decision when people act at once)."""

    permission_map = {"POST": Capability.WORK_INBOX}
    verdict: Verdict
    body: type[ApprovalApproveIn | ApprovalRejectIn]

    def decide(self, request: Request) -> Response:
        payload = self.body(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = self.get_approval()
        with refusals_of_state():
            decided = services.approval_decide(
                approval=approval, by=request.user, verdict=self.verdict, **payload.validated_data
            )
        return Response(ApprovalOut(decided).data)


_DECIDED = "The approval is already decided or expired; `fields` has its status."


class ApprovalApproveView(ApprovalVerdictView):
    verdict, body = Verdict.APPROVE, ApprovalApproveIn

    @extend_schema(request=ApprovalApproveIn, responses={200: ApprovalOut, 409: conflict(_DECIDED)})
    def post(self, request: Request, org: str, approval_id: str) -> Response:
        return self.decide(request)


class ApprovalEditView(ApprovalVerdictView):
    verdict, body = Verdict.EDIT, ApprovalEditIn

    @extend_schema(
        request=ApprovalEditIn,
        responses={
            200: ApprovalOut,
            409: conflict(f"{_DECIDED} Or final_draft is the agent's own draft unchanged."),
        },
    )
    def post(self, request: Request, org: str, approval_id: str) -> Response:
        return self.decide(request)


class ApprovalRejectView(ApprovalVerdictView):
    verdict, body = Verdict.REJECT, ApprovalRejectIn

    @extend_schema(request=ApprovalRejectIn, responses={200: ApprovalOut, 409: conflict(_DECIDED)})
    def post(self, request: Request, org: str, approval_id: str) -> Response:
        return self.decide(request)


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

    @extend_schema(
        operation_id="orgs_handoffs_list",
        parameters=_filters(HandoffStatus.values),
        responses=HandoffOut(many=True),
    )
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

    @extend_schema(
        request=None,
        responses={
            200: HandoffOut,
            409: conflict("The handoff is already claimed or closed; `fields` has its status."),
        },
    )
    def post(self, request: Request, org: str, handoff_id: str) -> Response:
        claimed = services.handoff_claim(handoff=self.get_handoff(), by=request.user)
        return Response(HandoffOut(claimed).data)


class HandoffCloseView(HandoffScoped):
    """resolve/ and hand-back/: the handoff ends with a resolution, or goes back to the agent
    with a follow-up."""

    permission_map = {"POST": Capability.WORK_INBOX}
    body: type[HandoffResolveIn | HandoffHandBackIn]

    def close(self, request: Request) -> Response:
        payload = self.body(data=request.data)
        payload.is_valid(raise_exception=True)
        handoff = self.get_handoff()
        with refusals_of_state():
            closed = services.handoff_close(
                handoff=handoff, by=request.user, **payload.validated_data
            )
        return Response(HandoffOut(closed).data)


_CLOSED = "The handoff is already closed; `fields` has its status."


class HandoffResolveView(HandoffCloseView):
    body = HandoffResolveIn

    @extend_schema(request=HandoffResolveIn, responses={200: HandoffOut, 409: conflict(_CLOSED)})
    def post(self, request: Request, org: str, handoff_id: str) -> Response:
        return self.close(request)


class HandoffHandBackView(HandoffCloseView):
    body = HandoffHandBackIn

    @extend_schema(request=HandoffHandBackIn, responses={200: HandoffOut, 409: conflict(_CLOSED)})
    def post(self, request: Request, org: str, handoff_id: str) -> Response:
        return self.close(request)


# What a webhook URL's form cannot tell: where its host points, looked up when it is saved.
_DESTINATION = "The URL's host resolves to an internal (loopback, private…) address"


class WebhookListView(OrganizationAPIView):
    permission_map = {"GET": Capability.MANAGE_WEBHOOKS, "POST": Capability.MANAGE_WEBHOOKS}
    serializer_class = WebhookEndpointOut

    def get_base_queryset(self):
        return webhook_endpoints_list(organization=self.organization)

    @extend_schema(operation_id="orgs_webhooks_list", responses=WebhookEndpointOut(many=True))
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookEndpointOut(page, many=True).data)

    @extend_schema(
        request=WebhookEndpointIn,
        responses={
            201: WebhookEndpointSecretOut,
            409: conflict(_DESTINATION + ", or the organization has as many webhooks as it may."),
        },
    )
    def post(self, request: Request, org: str) -> Response:
        payload = WebhookEndpointIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            endpoint = services.webhook_endpoint_create(
                organization=self.organization, by=request.user, **payload.validated_data
            )
        response = Response(WebhookEndpointSecretOut(endpoint).data, status=201)
        response["Cache-Control"] = "no-store"  # holds a secret shown once
        return response


class WebhookScoped(OrganizationAPIView):
    serializer_class = WebhookEndpointOut

    def get_base_queryset(self):
        return webhook_endpoints_list(organization=self.organization)

    def get_endpoint(self) -> WebhookEndpoint:
        found = self.get_queryset().filter(public_id=self.kwargs["webhook"]).first()
        if found is None:
            raise exceptions.NotFound("No such webhook.")
        return found


class WebhookDetailView(WebhookScoped):
    permission_map = {
        "GET": Capability.MANAGE_WEBHOOKS,
        "PATCH": Capability.MANAGE_WEBHOOKS,
        "DELETE": Capability.MANAGE_WEBHOOKS,
    }

    @extend_schema(responses=WebhookEndpointOut)
    def get(self, request: Request, org: str, webhook: str) -> Response:
        return Response(WebhookEndpointOut(self.get_endpoint()).data)

    @extend_schema(
        request=WebhookEndpointPatchIn,
        responses={200: WebhookEndpointOut, 409: conflict(_DESTINATION + ".")},
    )
    def patch(self, request: Request, org: str, webhook: str) -> Response:
        endpoint = self.get_endpoint()
        payload = WebhookEndpointPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            services.webhook_endpoint_update(
                endpoint=endpoint, by=request.user, **payload.validated_data
            )
        return Response(WebhookEndpointOut(self.get_endpoint()).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, org: str, webhook: str) -> Response:
        services.webhook_endpoint_delete(endpoint=self.get_endpoint(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretView(WebhookScoped):
    permission_map = {"POST": Capability.MANAGE_WEBHOOKS}

    @extend_schema(request=None, responses=WebhookEndpointSecretOut)
    def post(self, request: Request, org: str, webhook: str) -> Response:
        endpoint = services.webhook_endpoint_rotate_secret(
            endpoint=self.get_endpoint(), by=request.user
        )
        response = Response(WebhookEndpointSecretOut(endpoint).data)
        response["Cache-Control"] = "no-store"
        return response


class WebhookDeliveriesView(WebhookScoped):
    permission_map = {"GET": Capability.MANAGE_WEBHOOKS}
    serializer_class = WebhookMessageOut

    @extend_schema(
        operation_id="orgs_webhooks_deliveries_list", responses=WebhookMessageOut(many=True)
    )
    def get(self, request: Request, org: str, webhook: str) -> Response:
        messages = webhook_messages_list(endpoint=self.get_endpoint())
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(WebhookMessageOut(page, many=True).data)


class DeliveryScoped(WebhookScoped):
    def get_message(self) -> WebhookMessage:
        found = (
            webhook_messages_list(endpoint=self.get_endpoint())
            .prefetch_related("tries")
            .filter(public_id=self.kwargs["message"])
            .first()
        )
        if found is None:
            raise exceptions.NotFound("No such delivery.")
        return found


class WebhookDeliveryDetailView(DeliveryScoped):
    permission_map = {"GET": Capability.MANAGE_WEBHOOKS}

    @extend_schema(responses=WebhookMessageDetailOut)
    def get(self, request: Request, org: str, webhook: str, message: str) -> Response:
        return Response(WebhookMessageDetailOut(self.get_message()).data)


class WebhookRedeliverView(DeliveryScoped):
    permission_map = {"POST": Capability.MANAGE_WEBHOOKS}

    @extend_schema(
        request=None,
        responses={
            202: WebhookMessageOut,
            409: conflict("The webhook is disabled, or an attempt is being made right now."),
        },
    )
    def post(self, request: Request, org: str, webhook: str, message: str) -> Response:
        queued = services.webhook_message_redeliver(message=self.get_message(), by=request.user)
        return Response(WebhookMessageOut(queued).data, status=status.HTTP_202_ACCEPTED)
