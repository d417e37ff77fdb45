"""Management API: the decision log, filtered, with cursor pagination that stays fast on
millions of rows (keyset on evaluated_at, id)."""

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from apps.checks.models import Decision
from apps.checks.selectors import decisions_list
from apps.checks.serializers import DecisionOut
from apps.engine.types import DECISIONS
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView


class DecisionCursor(CursorPagination):
    ordering = ("-evaluated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


FILTERS = [
    OpenApiParameter("agent", str),
    OpenApiParameter("action", str),
    OpenApiParameter("decision", str, enum=list(DECISIONS)),
    OpenApiParameter("reason", str, description="the decisive reason code, e.g. limit.exceeded"),
    OpenApiParameter("since", str, description="ISO 8601 time, inclusive"),
    OpenApiParameter("until", str, description="ISO 8601 time, exclusive"),
]


class DecisionListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    serializer_class = DecisionOut
    pagination_class = DecisionCursor
    queryset = Decision.objects.all()

    def get_base_queryset(self):
        params = self.request.query_params
        times = {}
        for name in ("since", "until"):
            if params.get(name):
                value = parse_datetime(params[name])
                if value is None:
                    raise exceptions.ValidationError({name: "Use an ISO 8601 time."})
                times[name] = value
        decision = params.get("decision", "")
        if decision and decision not in DECISIONS:
            raise exceptions.ValidationError({"decision": f"Use one of {', '.join(DECISIONS)}."})
        return decisions_list(
            organization=self.organization,
            agent=params.get("agent", ""),
            action=params.get("action", ""),
            decision=decision,
            reason=params.get("reason", ""),
            **times,
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
