"""Error pages: JSON in the one error shape for API clients, HTML for people."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.api import is_api_path, json_error_response


def _is_api(request: HttpRequest) -> bool:
    return is_api_path(request.path)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(403, "forbidden", "You may not do this.")
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if _is_api(request):
        return json_error_response(403, "csrf_failed", f"CSRF check failed: {reason}")
    return render(
        request,
        "errors/403.html",
        {"reason": "the form expired or came from elsewhere; reload the page and try again"},
        status=403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        if _is_api(request):
            return json_error_response(413, "too_large", "The request body is too large.")
        return render(request, "errors/400.html", status=413)
    if _is_api(request):
        return json_error_response(400, "bad_request", "Bad request.")
    return render(request, "errors/400.html", status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_error_response(500, "server_error", "Something went wrong on our side.")
    return render(request, "errors/500.html", status=500)
