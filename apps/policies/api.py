"""Management API: policies, versions and their life cycle, diff, export, the format schema."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import positive_int_param, query_param, refusals_of_state
from apps.core.errors import Conflict
from apps.core.openapi import conflict
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView
from apps.policies import document, services
from apps.policies.models import Policy, PolicyVersion
from apps.policies.selectors import policies_list, policy_version_diff
from apps.policies.serializers import (
    DiffOut,
    PolicyIn,
    PolicyOut,
    PublishIn,
    RejectIn,
    ReviewIn,
    SimulationOut,
    VersionEditIn,
    VersionIn,
    VersionOut,
    VersionSummaryOut,
)

DOCUMENT = {"$ref": "#/components/schemas/PolicyDocument"}


class PolicyFormatSchemaView(APIView):
    """The JSON Schema of the policy document format (also in the repository)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> JsonResponse:
        return JsonResponse(document.format_schema(), json_dumps_params={"indent": 2})


class PolicyScoped(OrganizationAPIView):
    """Resolves {policy} within the organization."""

    def get_policy(self) -> Policy:
        policy = Policy.objects.filter(
            organization=self.organization, key=self.kwargs["policy"]
        ).first()
        if policy is None:
            raise exceptions.NotFound("No such policy.")
        return policy

    def get_version(self) -> PolicyVersion:
        version = (
            self.get_queryset()
            .filter(policy__key=self.kwargs["policy"], number=self.kwargs["number"])
            .first()
        )
        if version is None:
            raise exceptions.NotFound("No such version.")
        return version

    def get_base_queryset(self):
        return PolicyVersion.objects.select_related(
            "policy", "author", "reviewed_by", "submitted_by", "published_by", "based_on"
        ).prefetch_related("contributors")


class PolicyListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW, "POST": Capability.AUTHOR_POLICIES}
    serializer_class = PolicyOut

    def get_base_queryset(self):
        return (
            policies_list(organization=self.organization)
            .prefetch_related("versions")
            .select_related("created_by")
        )

    @extend_schema(operation_id="orgs_policies_list", responses=PolicyOut(many=True))
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PolicyOut(page, many=True).data)

    @extend_schema(
        request=PolicyIn,
        responses={201: PolicyOut, 409: conflict("A policy has this key.")},
    )
    def post(self, request: Request, org: str) -> Response:
        payload = PolicyIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            policy = services.policy_create(
                organization=self.organization, by=request.user, **payload.validated_data
            )
        return Response(PolicyOut(policy).data, status=status.HTTP_201_CREATED)


class PolicyDetailView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW}
    serializer_class = PolicyOut

    def get(self, request: Request, org: str, policy: str) -> Response:
        return Response(PolicyOut(self.get_policy()).data)


class VersionListView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW, "POST": Capability.AUTHOR_POLICIES}
    serializer_class = VersionSummaryOut

    @extend_schema(
        operation_id="orgs_policies_versions_list", responses=VersionSummaryOut(many=True)
    )
    def get(self, request: Request, org: str, policy: str) -> Response:
        policy_obj = self.get_policy()
        page = self.paginate_queryset(
            self.get_queryset().filter(policy=policy_obj).order_by("-number")
        )
        return self.get_paginated_response(VersionSummaryOut(page, many=True).data)

    @extend_schema(
        request=VersionIn,
        responses={
            201: VersionOut,
            409: conflict(
                "The document names what the organization's catalogs do not hold, or "
                "based_on names a version the policy does not have."
            ),
        },
    )
    def post(self, request: Request, org: str, policy: str) -> Response:
        policy_obj = self.get_policy()
        payload = VersionIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        based_on = None
        if "based_on" in data:
            based_on = (
                self.get_queryset().filter(policy=policy_obj, number=data["based_on"]).first()
            )
            if based_on is None:
                raise Conflict(
                    f"{policy_obj.name} has no version {data['based_on']}.",
                    fields={"based_on": "No such version of this policy."},
                )
        with refusals_of_state():
            version = services.policy_version_create(
                policy=policy_obj, by=request.user, document=data.get("document"), based_on=based_on
            )
        return Response(VersionOut(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW, "PATCH": Capability.AUTHOR_POLICIES}
    serializer_class = VersionOut

    def get(self, request: Request, org: str, policy: str, number: int) -> Response:
        return Response(VersionOut(self.get_version()).data)

    @extend_schema(
        request=VersionEditIn,
        responses={
            200: VersionOut,
            409: conflict(
                "The version is not a draft, or the document names what the organization's "
                "catalogs do not hold."
            ),
        },
    )
    def patch(self, request: Request, org: str, policy: str, number: int) -> Response:
        version = self.get_version()
        payload = VersionEditIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            services.policy_version_edit(
                version=version, by=request.user, document=payload.validated_data["document"]
            )
        return Response(VersionOut(self.get_version()).data)


class VersionSubmitView(PolicyScoped):
    permission_map = {"POST": Capability.AUTHOR_POLICIES}
    serializer_class = VersionOut

    @extend_schema(
        request=None,
        responses={
            200: VersionOut,
            409: conflict("The version is not a draft, or names what the catalogs no longer hold."),
        },
    )
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        with refusals_of_state():
            services.policy_version_submit(version=self.get_version(), by=request.user)
        return Response(VersionOut(self.get_version()).data)


class VersionApproveView(PolicyScoped):
    permission_map = {"POST": Capability.REVIEW_POLICIES}
    serializer_class = VersionOut

    @extend_schema(
        request=ReviewIn,
        responses={
            200: VersionOut,
            409: conflict("The version is not in review, or changed since content_hash."),
        },
        description="Approve a version in review; nobody approves a version they wrote (403).",
    )
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        payload = ReviewIn(data=request.data)
        payload.is_valid(raise_exception=True)
        services.policy_version_approve(
            version=self.get_version(),
            by=request.user,
            comment=payload.validated_data["comment"],
            seen_hash=payload.validated_data.get("content_hash"),
        )
        return Response(VersionOut(self.get_version()).data)


class VersionRejectView(PolicyScoped):
    permission_map = {"POST": Capability.REVIEW_POLICIES}
    serializer_class = VersionOut

    @extend_schema(
        request=RejectIn,
        responses={
            200: VersionOut,
            409: conflict("The version is not in review, or changed since content_hash."),
        },
        description="Reject a version in review, saying why; not one's own (403).",
    )
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        payload = RejectIn(data=request.data)
        payload.is_valid(raise_exception=True)
        services.policy_version_reject(
            version=self.get_version(),
            by=request.user,
            comment=payload.validated_data["comment"],
            seen_hash=payload.validated_data.get("content_hash"),
        )
        return Response(VersionOut(self.get_version()).data)


class VersionPublishView(PolicyScoped):
    permission_map = {"POST": Capability.PUBLISH_POLICIES}
    serializer_class = VersionOut

    @extend_schema(
        request=PublishIn,
        responses={
            200: VersionOut,
            409: conflict(
                "The version is not approved, a newer one is active, the document names what "
                "the catalogs no longer hold, or effective_at is past."
            ),
        },
    )
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        payload = PublishIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            services.policy_version_publish(
                version=self.get_version(),
                by=request.user,
                effective_at=payload.validated_data.get("effective_at"),
            )
        return Response(VersionOut(self.get_version()).data)


class VersionDiffView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW}
    serializer_class = DiffOut

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                {"type": "integer", "minimum": 1},
                description="The version to compare with (default: the active one; for the "
                "active one, the version it was written from). One the policy does not have "
                "answers 404.",
            )
        ],
        responses=DiffOut,
    )
    def get(self, request: Request, org: str, policy: str, number: int) -> Response:
        version = self.get_version()
        against_param = positive_int_param(request, "against")
        if against_param is None:
            # Against the active version; the active version itself against its source.
            against = self.get_queryset().filter(policy=version.policy, state="active").first()
            if against is not None and against.pk == version.pk:
                against = version.based_on or (
                    self.get_queryset()
                    .filter(policy=version.policy, number__lt=version.number)
                    .order_by("-number")
                    .first()
                )
        else:
            against = (
                self.get_queryset().filter(policy=version.policy, number=against_param).first()
            )
            if against is None:
                raise exceptions.NotFound("No such version to compare with.")
        changes = policy_version_diff(version=version, against=against)
        return Response(
            {
                "version": version.number,
                "against": against.number if against else None,
                "changes": [c.as_dict() for c in changes],
            }
        )


class VersionSimulateView(PolicyScoped):
    """The decision this version would give to a check: exactly what an agent would get,
    and nothing recorded."""

    permission_map = {"POST": Capability.VIEW}
    serializer_class = SimulationOut

    @extend_schema(
        request={"application/json": {"$ref": "#/components/schemas/CheckRequest"}},
        responses=SimulationOut,
    )
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        from apps.checks.simulation import simulate

        version = self.get_version()
        result = simulate(version=version, organization=self.organization, body=request.data)
        return Response(SimulationOut(result).data)


class VersionExportView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW}

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["yaml", "json"], description="Default yaml.")
        ],
        responses={
            (200, "application/yaml"): DOCUMENT,
            (200, "application/json"): DOCUMENT,
        },
    )
    def get(self, request: Request, org: str, policy: str, number: int) -> HttpResponse:
        fmt = query_param(request, "format")
        fmt = "yaml" if fmt is None else fmt
        if fmt not in ("yaml", "json"):
            raise exceptions.ValidationError({"format": "Use yaml or json."})
        version = self.get_version()
        text = document.export(version.document, fmt)
        response = HttpResponse(
            text,
            content_type="application/json" if fmt == "json" else "application/yaml; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{version.policy.key}-v{version.number}.{fmt}"'
        )
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # Plain HttpResponse bodies bypass content negotiation.
        if isinstance(response, Response):
            return super().finalize_response(request, response, *args, **kwargs)
        return response
