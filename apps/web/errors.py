"""Error pages: JSON in the one error shape for API clients, HTML for people."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.api import json_error_response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(403, "forbidden", "You may not do this.")
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return json_error_response(400, "bad_request", "Bad request.")
    return render(request, "errors/400.html", status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return json_error_response(500, "server_error", "Something went wrong on our side.")
    return render(request, "errors/500.html", status=500)
