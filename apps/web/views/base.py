"""The base of every organization page: tenancy, per-method capabilities, shared context."""

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.generic import TemplateView

from apps.core.errors import ApplicationError, PermissionRefused
from apps.organizations.constants import Capability
from apps.organizations.tenancy import TenantScoped


class OrganizationPageView(LoginRequiredMixin, TenantScoped, TemplateView):
    """Resolves /o/<org>/, 404s for strangers, 403s for a missing capability."""

    section = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.resolve_tenant(request, kwargs["org"])
        capability = self.required_capability(request.method or "GET")
        if capability is None:
            return HttpResponseNotAllowed(list(self.permission_map))
        if not self.has_capability(capability):
            self.record_refusal(request, capability)
            raise PermissionDenied(capability.label)
        return super().dispatch(request, *args, **kwargs)

    def record_service_refusal(self, error: ApplicationError) -> None:
        """A service's own refusal (deciding another team's approval, reviewing one's own
        version) is a refused permission check like the capability check above: recorded,
        with its reason, once the service's transaction has rolled back. Pages turn such
        errors into a message on the page they return to, so they hand them here first, as
        the API's exception handler does."""
        if isinstance(error, PermissionRefused):
            method = self.request.method or "GET"
            self.record_refusal(
                self.request, self.required_capability(method), reason=error.message
            )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            organization=self.organization,
            membership=self.membership,
            can={c.name.lower(): self.has_capability(c) for c in Capability},
            section=self.section,
        )
        return context


def apply_error(form: Form, error: ApplicationError) -> None:
    """Show a service's error next to the field it names, or above the form."""
    placed = False
    for field, message in error.fields.items():
        if field in form.fields:
            form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
