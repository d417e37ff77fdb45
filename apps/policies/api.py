"""Management API: policies, versions and their life cycle, diff, export, the format schema."""

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

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
    ReviewIn,
    VersionEditIn,
    VersionIn,
    VersionOut,
    VersionSummaryOut,
)


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

    @extend_schema(request=PolicyIn, responses={201: PolicyOut})
    def post(self, request: Request, org: str) -> Response:
        payload = PolicyIn(data=request.data)
        payload.is_valid(raise_exception=True)
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

    @extend_schema(request=VersionIn, responses={201: VersionOut})
    def post(self, request: Request, org: str, policy: str) -> Response:
        policy_obj = self.get_policy()
        payload = VersionIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if "text" in data:
            version = services.policy_version_import(
                policy=policy_obj, by=request.user, text=data["text"], fmt=data["format"]
            )
        else:
            based_on = None
            if "based_on" in data:
                based_on = (
                    self.get_queryset().filter(policy=policy_obj, number=data["based_on"]).first()
                )
                if based_on is None:
                    raise exceptions.ValidationError(
                        {"based_on": "No such version of this policy."}
                    )
            version = services.policy_version_create(
                policy=policy_obj, by=request.user, document=data.get("document"), based_on=based_on
            )
        return Response(VersionOut(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW, "PATCH": Capability.AUTHOR_POLICIES}
    serializer_class = VersionOut

    def get(self, request: Request, org: str, policy: str, number: int) -> Response:
        return Response(VersionOut(self.get_version()).data)

    @extend_schema(request=VersionEditIn, responses=VersionOut)
    def patch(self, request: Request, org: str, policy: str, number: int) -> Response:
        version = self.get_version()
        payload = VersionEditIn(data=request.data)
        payload.is_valid(raise_exception=True)
        services.policy_version_edit(
            version=version, by=request.user, document=payload.validated_data["document"]
        )
        return Response(VersionOut(self.get_version()).data)


class VersionSubmitView(PolicyScoped):
    permission_map = {"POST": Capability.AUTHOR_POLICIES}
    serializer_class = VersionOut

    @extend_schema(request=None, responses=VersionOut)
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        services.policy_version_submit(version=self.get_version(), by=request.user)
        return Response(VersionOut(self.get_version()).data)


class VersionApproveView(PolicyScoped):
    permission_map = {"POST": Capability.REVIEW_POLICIES}
    serializer_class = VersionOut

    @extend_schema(request=ReviewIn, responses=VersionOut)
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

    @extend_schema(request=ReviewIn, responses=VersionOut)
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        payload = ReviewIn(data=request.data)
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

    @extend_schema(request=PublishIn, responses=VersionOut)
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        payload = PublishIn(data=request.data)
        payload.is_valid(raise_exception=True)
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
                "against", int, description="The version to compare with (default: the active one)"
            )
        ],
        responses=DiffOut,
    )
    def get(self, request: Request, org: str, policy: str, number: int) -> Response:
        version = self.get_version()
        against_param = request.query_params.get("against")
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
            if not against_param.isdigit():
                raise exceptions.ValidationError({"against": "Must be a version number."})
            against = (
                self.get_queryset().filter(policy=version.policy, number=int(against_param)).first()
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

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, org: str, policy: str, number: int) -> Response:
        from apps.checks.simulation import simulate

        version = self.get_version()
        return Response(
            simulate(version=version, organization=self.organization, body=request.data)
        )


class VersionExportView(PolicyScoped):
    permission_map = {"GET": Capability.VIEW}

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["yaml", "json"])],
        responses={
            (200, "application/yaml"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request, org: str, policy: str, number: int) -> HttpResponse:
        fmt = request.query_params.get("format", "yaml")
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
