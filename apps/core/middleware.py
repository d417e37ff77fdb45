"""Under /api/ every answer is JSON: errors from anywhere in the stack (Django's debug pages,
the URL resolver, CSRF) take the one error shape, and a missing trailing slash is answered
with a 308 that keeps the method and body instead of a redirect that would lose them."""

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from apps.core.api import is_api_path, json_error_response

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path):
            return self.get_response(request)
        path = request.path_info
        if not path.endswith("/") and not _resolves(path) and _resolves(path + "/"):
            target = request.path + "/"
            if request.META.get("QUERY_STRING"):
                target += "?" + request.META["QUERY_STRING"]
            response = json_error_response(
                308, "trailing_slash", f"This path ends with a slash: {target}"
            )
            response["Location"] = target
            return response
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if (
            response.status_code >= 400
            and not response.streaming
            and not content_type.startswith("application/json")
        ):
            status = response.status_code
            converted = json_error_response(
                status,
                _CODES.get(status, "error"),
                HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error",
            )
            for header in ("Retry-After", "WWW-Authenticate", "Allow"):
                if header in response:
                    converted[header] = response[header]
            return converted
        return response
