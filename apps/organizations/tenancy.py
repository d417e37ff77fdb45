"""The tenancy scoping shared by every organization-scoped page and endpoint.

A view names its organization by the `org` URL argument; the base classes resolve it through
the caller's membership (a missing organization and another tenant's answer the same 404),
check the capability its permission_map declares for the HTTP method, and filter every
queryset by the organization. Subclasses cannot override get_queryset; they provide
get_base_queryset, and the rare view that must see across tenants calls
dangerously_get_unscoped_queryset by name.
"""

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request

from apps.core.errors import PermissionRefused
from apps.organizations.constants import Capability
from apps.organizations.models import Membership, Organization
from apps.organizations.selectors import capabilities_of, membership_get

# HEAD and OPTIONS read what GET reads.
SAFE_ALIASES = {"HEAD": "GET", "OPTIONS": "GET"}


class TenantScoped:
    """Mixin: organization resolution, the per-method capability map and sealed scoping."""

    permission_map: ClassVar[dict[str, Capability]] = {}
    organization: Organization
    membership: Membership
    queryset: QuerySet | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.get_queryset is not TenantScoped.get_queryset:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; override get_base_queryset instead, "
                "so that the organization filter cannot be lost."
            )

    def resolve_tenant(self, request: HttpRequest, slug: str) -> None:
        membership = membership_get(user=request.user, slug=slug)
        if membership is None:
            raise Http404("No such organization.")
        self.membership = membership
        self.organization = membership.organization

    def required_capability(self, method: str) -> Capability | None:
        return self.permission_map.get(SAFE_ALIASES.get(method, method))

    def record_refusal(
        self, request: HttpRequest, capability: Capability | None, reason: str = ""
    ) -> None:
        """Every refused permission check is an audit event (permission.refused)."""
        from apps.audit.signals import permission_refused_record

        permission_refused_record(
            organization=self.organization,
            user=request.user,
            method=request.method or "GET",
            path=request.path,
            capability=capability,
            reason=reason,
        )

    def has_capability(self, capability: Capability) -> bool:
        if not hasattr(self, "_capabilities"):
            self._capabilities = capabilities_of(
                user=self.membership.user, organization=self.organization
            )
        return capability.value in self._capabilities

    def get_base_queryset(self) -> QuerySet:
        if self.queryset is None:
            raise NotImplementedError(f"{type(self).__name__} needs a queryset")
        return self.queryset.all()

    def get_queryset(self) -> QuerySet:
        return self.get_base_queryset().filter(organization=self.organization)

    def dangerously_get_unscoped_queryset(self) -> QuerySet:
        return self.get_base_queryset()


class OrganizationAPIView(TenantScoped, GenericAPIView):
    """Base for every endpoint under /api/v1/orgs/<org>/."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, IsAuthenticated, throttles
        self.resolve_tenant(request, kwargs["org"])
        capability = self.required_capability(request.method or "GET")
        if capability is None:
            raise exceptions.MethodNotAllowed(request.method or "")
        if not self.has_capability(capability):
            self.record_refusal(request, capability)
            raise exceptions.PermissionDenied(
                f"Your roles in {self.organization.name} do not allow this "
                f"({capability.label.lower()})."
            )

    def handle_exception(self, exc: Exception) -> Any:
        # A service's own refusal (approving one's own version, deciding another team's
        # approval) is recorded too, once its transaction has rolled back.
        if isinstance(exc, PermissionRefused) and hasattr(self, "organization"):
            capability = self.required_capability(self.request.method or "GET")
            self.record_refusal(self.request, capability, reason=exc.message)
        return super().handle_exception(exc)

    def get_object_or_404(self, **lookup: Any) -> Model:
        obj = self.get_queryset().filter(**lookup).first()
        if obj is None:
            raise exceptions.NotFound()
        return obj
