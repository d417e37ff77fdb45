"""Management API: the decision log, filtered, with cursor pagination that stays fast on
millions of rows (keyset on evaluated_at, id)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from apps.checks.models import Decision
from apps.checks.selectors import decisions_list
from apps.checks.serializers import DecisionOut
from apps.core.api import ANY_TEXT, KeysetPagination, datetime_param, query_param
from apps.engine.types import DECISIONS
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView


class DecisionCursor(KeysetPagination):
    ordering = ("-evaluated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


_TEXT = {"type": "string", "pattern": ANY_TEXT}
_TIME = {"type": "string", "format": "date-time"}
TEXT_FILTERS = ("agent", "action", "reason")
FILTERS = [
    OpenApiParameter("agent", _TEXT, description="An agent's key (empty: any)"),
    OpenApiParameter("action", _TEXT, description="An action key (empty: any)"),
    OpenApiParameter("decision", str, enum=list(DECISIONS)),
    OpenApiParameter(
        "reason", _TEXT, description="The decisive reason code, e.g. limit.exceeded (empty: any)"
    ),
    OpenApiParameter("since", _TIME, description="RFC 3339 time, inclusive"),
    OpenApiParameter("until", _TIME, description="RFC 3339 time, exclusive"),
]


class DecisionListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    serializer_class = DecisionOut
    pagination_class = DecisionCursor
    queryset = Decision.objects.all()

    def get_base_queryset(self):
        request = self.request
        times = {}
        for name in ("since", "until"):
            value = datetime_param(request, name)
            if value is not None:
                times[name] = value
        decision = query_param(request, "decision")
        if decision is not None and decision not in DECISIONS:
            raise exceptions.ValidationError({"decision": f"Use one of {', '.join(DECISIONS)}."})
        texts = {name: query_param(request, name) or "" for name in TEXT_FILTERS}
        return decisions_list(
            organization=self.organization, decision=decision or "", **texts, **times
        )

    @extend_schema(
        operation_id="orgs_decisions_list", parameters=FILTERS, responses=DecisionOut(many=True)
    )
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DecisionOut(page, many=True).data)


class DecisionDetailView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    serializer_class = DecisionOut
    queryset = Decision.objects.select_related("agent", "policy", "policy_version")

    def get(self, request: Request, org: str, decision_id: str) -> Response:
        row = self.get_queryset().filter(decision_id=decision_id).first()
        if row is None:
            raise exceptions.NotFound("No such decision.")
        return Response(DecisionOut(row).data)
