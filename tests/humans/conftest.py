"""Fixtures the approvals, handoffs and webhooks tests share."""

import pytest

from apps.humans import webhooks
from apps.humans.models import Approval, Handoff
from tests.factories import make_service_level_handoffs


@pytest.fixture
def approval(world):
    """The world's pending approval."""
    return Approval.objects.get(organization=world.org)


@pytest.fixture
def handoff(world):
    """The world's open handoff."""
    return Handoff.objects.get(organization=world.org)


@pytest.fixture
def figures(world):
    """The world with handoffs whose service-level figures are known."""
    return make_service_level_handoffs(world)


@pytest.fixture
def public_dns(monkeypatch):
    """Call with a table: names resolve as it says (the test machine may have no DNS at
    all); others as usual."""
    real = webhooks.resolve

    def resolve_as(table: dict[str, str]) -> None:
        def resolve(host, port):
            if host in table:
                return [webhooks.ipaddress.ip_address(table[host])]
            return real(host, port)

        monkeypatch.setattr(webhooks, "resolve", resolve)

    return resolve_as
