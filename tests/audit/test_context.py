"""Where a change came from: the client address, also behind trusted proxies."""

import pytest
from django.test import RequestFactory

from apps.audit.middleware import client_ip


@pytest.mark.parametrize(
    ("hops", "forwarded", "remote", "expected"),
    [
        (0, "", "10.0.0.5", "10.0.0.5"),
        (0, "203.0.113.9", "10.0.0.5", "10.0.0.5"),  # not trusted: ignored
        (1, "198.51.100.1, 203.0.113.9", "10.0.0.5", "203.0.113.9"),
        (2, "198.51.100.1, 203.0.113.9", "10.0.0.5", "198.51.100.1"),
        (3, "203.0.113.9", "10.0.0.5", "10.0.0.5"),  # fewer entries than proxies
        (1, "not-an-ip", "10.0.0.5", None),
    ],
)
def test_client_ip(settings, hops, forwarded, remote, expected):
    settings.MANDATE_PROXY_HOPS = hops
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert client_ip(request) == expected
