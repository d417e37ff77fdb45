"""Navigation for the shared layout: the organizations the person can switch to."""

from typing import Any

from django.http import HttpRequest

from apps.organizations.selectors import organizations_for_user


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_organizations": organizations_for_user(user=user)}
