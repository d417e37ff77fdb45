"""Records where each request comes from, for the audit events it causes."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.audit.context import Origin, origin


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = Origin(
            ip=request.META.get("REMOTE_ADDR"),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
            via="api" if request.path.startswith("/api/") else "web",
        )
        with origin(value):
            return self.get_response(request)
