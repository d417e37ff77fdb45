"""Access events: sign-ins, failed sign-ins and refused permission checks, each recorded
once. An audit event belongs to an organization, so a person's sign-in (or a failed one
under their name) is recorded in every organization they belong to; a failed sign-in that
names no member of any organization is kept as an accounts.SignInAttempt instead.

Sign-ins are recorded as they arrive over HTTP (a request with a method: the sign-in page,
the admin's); a session opened in-process, with no request (a shell, the test client's
login), comes from nowhere and is nobody's sign-in.

These happen outside any change's transaction (a refused request changes nothing), so each
recorder opens its own."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from apps.audit.context import Origin, current_origin, origin
from apps.audit.middleware import client_ip
from apps.audit.services import audit_record

SIGNED_IN = "user.signed_in"
SIGN_IN_FAILED = "user.sign_in_failed"
SIGN_INS = (SIGNED_IN, SIGN_IN_FAILED)  # what the trail's "hide sign-ins" leaves out
PERMISSION_REFUSED = "permission.refused"


def _origin_of(request: HttpRequest | None) -> Origin:
    """Where the attempt came from: the request's address when the signal names one (the
    middleware has set the same), else whatever the context says."""
    if request is None or not hasattr(request, "META"):
        return current_origin()
    path = getattr(request, "path", "") or ""
    return Origin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
        via="api" if path.startswith("/api/") else "web",
    )


def _over_http(request: HttpRequest | None) -> bool:
    return request is not None and bool(getattr(request, "META", {}).get("REQUEST_METHOD"))


def _organizations_of(user: Any) -> list[Any]:
    from apps.organizations.models import Organization

    return list(Organization.objects.filter(memberships__user=user).order_by("pk"))


def _record_everywhere(user: Any, *, by: Any, verb: str, after: dict[str, Any] | None) -> int:
    organizations = _organizations_of(user)
    with transaction.atomic():
        for organization in organizations:
            audit_record(
                organization=organization,
                by=by,
                verb=verb,
                object_type="accounts.user",
                object_id=str(user.pk),
                object_repr=user.get_username(),
                after=after,
            )
    return len(organizations)


@receiver(user_logged_in, dispatch_uid="audit-signed-in")
def record_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if not _over_http(request):
        return
    with origin(_origin_of(request)):
        _record_everywhere(user, by=user, verb=SIGNED_IN, after=None)


@receiver(user_login_failed, dispatch_uid="audit-sign-in-failed")
def record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    from apps.accounts.models import SignInAttempt

    if not _over_http(request):
        return
    users = get_user_model()
    name_field = users.USERNAME_FIELD
    username = str(credentials.get(name_field) or credentials.get("username") or "")[:150]
    where = _origin_of(request)
    user = users._default_manager.filter(**{name_field: username}).first()
    if user is not None:
        with origin(where):
            # By the system: the person named did not prove it was them.
            recorded = _record_everywhere(
                user, by="sign-in", verb=SIGN_IN_FAILED, after={"username": username}
            )
        if recorded:
            return
    SignInAttempt.objects.create(
        username=username, at=timezone.now(), ip=where.ip, user_agent=where.user_agent
    )


def permission_refused_record(
    *, organization: Any, user: Any, method: str, path: str, capability: Any, reason: str = ""
) -> None:
    """A request refused for want of a capability (403). The refused request holds no
    transaction, and must not: the event commits whatever the response."""
    code = getattr(capability, "value", capability) or ""
    after = {"method": method, "path": path[:300], "capability": code}
    if reason:
        after["reason"] = reason[:300]
    by = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        audit_record(
            organization=organization,
            by=by,
            verb=PERMISSION_REFUSED,
            object_type="organizations.capability",
            object_id=code,
            object_repr=f"{method} {path}"[:300],
            after=after,
        )
