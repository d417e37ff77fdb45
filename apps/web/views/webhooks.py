"""Webhooks: the organization's endpoints and those its agents registered (marked with the
agent; people may disable or delete them), their delivery history, redelivery, and a form
to add one (its secret shown once)."""

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.core.errors import ApplicationError
from apps.humans import services
from apps.humans.constants import WebhookEvent, WebhookFormat
from apps.humans.models import WebhookEndpoint, WebhookMessage
from apps.humans.selectors import webhook_endpoints_list, webhook_messages_list
from apps.organizations.constants import Capability
from apps.web.views.base import OrganizationPageView

HISTORY = 20  # deliveries shown per endpoint


class WebhookPageMixin(OrganizationPageView):
    permission_map = {"GET": Capability.MANAGE_WEBHOOKS, "POST": Capability.MANAGE_WEBHOOKS}
    section = "webhooks"

    def get_base_queryset(self):
        return webhook_endpoints_list(organization=self.organization)

    def get_endpoint(self) -> WebhookEndpoint:
        found = self.get_queryset().filter(public_id=self.kwargs["webhook"]).first()
        if found is None:
            raise Http404("No such webhook.")
        return found

    def back(self) -> HttpResponse:
        return redirect("web:webhooks", org=self.organization.slug)


class WebhookListView(WebhookPageMixin):
    template_name = "web/webhooks/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endpoints = list(self.get_queryset().order_by("created_at", "id"))
        for endpoint in endpoints:
            endpoint.history = list(
                webhook_messages_list(endpoint=endpoint).prefetch_related(
                    Prefetch("tries", to_attr="attempt_log")
                )[:HISTORY]
            )
        context.update(
            endpoints=endpoints,
            event_choices=WebhookEvent.choices,
            format_choices=WebhookFormat.choices,
            values=kwargs.get("values", {"events": WebhookEvent.values, "format": "standard"}),
            errors=kwargs.get("errors", {}),
            new_secret=kwargs.get("new_secret"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        values = {
            "url": request.POST.get("url", ""),
            "description": request.POST.get("description", ""),
            "format": request.POST.get("format", WebhookFormat.STANDARD),
            "events": request.POST.getlist("events"),
        }
        try:
            endpoint = services.webhook_endpoint_create(
                organization=self.organization, by=request.user, **values
            )
        except ApplicationError as exc:
            errors = exc.fields or {"url": exc.message}
            return self.render_to_response(
                self.get_context_data(values=values, errors=errors), status=400
            )
        return _with_secret(self, endpoint)


def _with_secret(view: "WebhookListView", endpoint: WebhookEndpoint) -> HttpResponse:
    response = view.render_to_response(view.get_context_data(new_secret=endpoint))
    response["Cache-Control"] = "no-store"  # the page holds a secret shown once
    return response


class WebhookActionView(WebhookListView):
    """Rotate the secret (shown once), enable, disable or delete an endpoint."""

    permission_map = {"POST": Capability.MANAGE_WEBHOOKS}
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        endpoint = self.get_endpoint()
        action = request.POST.get("action", "")
        try:
            if action == "rotate":
                rotated = services.webhook_endpoint_rotate_secret(
                    endpoint=endpoint, by=request.user
                )
                return _with_secret(self, rotated)
            if action in ("enable", "disable"):
                services.webhook_endpoint_update(
                    endpoint=endpoint, by=request.user, active=action == "enable"
                )
                messages.success(request, f"Webhook {action}d.")
            elif action == "delete":
                services.webhook_endpoint_delete(endpoint=endpoint, by=request.user)
                messages.success(request, f"Webhook to {endpoint.url} deleted.")
            else:
                raise Http404("Unknown action.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return self.back()


class WebhookRedeliverView(WebhookPageMixin):
    permission_map = {"POST": Capability.MANAGE_WEBHOOKS}
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        message: WebhookMessage | None = (
            webhook_messages_list(endpoint=self.get_endpoint())
            .filter(public_id=self.kwargs["message"])
            .first()
        )
        if message is None:
            raise Http404("No such delivery.")
        try:
            services.webhook_message_redeliver(message=message, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{message.public_id} is being sent again.")
        return self.back()
