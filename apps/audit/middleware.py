"""Records where each request comes from, for the audit events it causes."""

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.audit.context import Origin, origin


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind MANDATE_PROXY_HOPS trusted proxies it is the entry
    that many hops from the end of X-Forwarded-For (earlier entries are the client's word)."""
    address = request.META.get("REMOTE_ADDR")
    hops = settings.MANDATE_PROXY_HOPS
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            address = chain[-hops]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = Origin(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
            via="api" if request.path.startswith("/api/") else "web",
        )
        with origin(value):
            return self.get_response(request)
