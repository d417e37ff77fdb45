"""Every organization-scoped route is in the registry that the role and cross-organization
tests walk, and the organization filter of the base views cannot be overridden."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.organizations.tenancy import OrganizationAPIView
from tests.tenancy import API_ENDPOINTS, PAGES


def _routes(resolver, prefix=""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _normalise(route: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "{}", route.lstrip("^").rstrip("$"))


def _registered(prefix: str, endpoints) -> set[str]:
    return {
        _normalise(prefix + re.sub(r"\{\w+\}|\d+", "<x>", e.path.split("?")[0])) for e in endpoints
    }


def test_every_scoped_route_is_registered():
    routes = {_normalise(r) for r in _routes(get_resolver())}
    api = {r for r in routes if r.startswith("api/v1/orgs/{}/")}
    pages = {r for r in routes if r.startswith("o/{}/")}
    assert api - _registered("api/v1/orgs/<x>/", API_ENDPOINTS) == set()
    assert pages - _registered("o/<x>/", PAGES) == set()


def test_get_queryset_cannot_be_overridden_even_through_a_mixin():
    class Sneaky:
        def get_queryset(self):
            return None

    with pytest.raises(TypeError):
        type("Direct", (OrganizationAPIView,), {"get_queryset": lambda self: None})
    with pytest.raises(TypeError):
        type("ViaMixin", (Sneaky, OrganizationAPIView), {})
