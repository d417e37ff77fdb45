"""The signed-in person's own settings: personal access tokens."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import services
from apps.core.errors import ApplicationError
from apps.web.forms import TokenForm
from apps.web.views.base import apply_error


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            created = services.personal_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except ApplicationError as exc:
            apply_error(form, exc)
        else:
            form = TokenForm()
    context = {"form": form, "created": created, "tokens": request.user.tokens.all()}
    status = 400 if form.errors else 200
    response = render(request, "web/token_list.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a token shown once
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    try:
        token = services.personal_token_revoke(user=request.user, prefix=prefix)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("web:token-list")
