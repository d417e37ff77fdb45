"""How a webhook leaves: event payloads, the body per endpoint format, Standard Webhooks
signatures, and an HTTP transport that connects only to public addresses (checked on every
address a name resolves to, when the socket is opened, so a name cannot be re-pointed at an
internal address between the check and the connection)."""

import base64
import hashlib
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from standardwebhooks import Webhook
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import connection as urllib3_connection

from apps.humans.constants import (
    WEBHOOK_RESPONSE_EXCERPT,
    WEBHOOK_SECRET_BYTES,
    WEBHOOK_SECRET_PREFIX,
    WEBHOOK_USER_AGENT,
    WebhookEvent,
    WebhookFormat,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
logger = logging.getLogger(__name__)


# ---- secrets and signatures ----------------------------------------------------------------


def new_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(os.urandom(WEBHOOK_SECRET_BYTES)).decode()


def signature(secret: str, *, msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the secret's key."""
    return Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body)


def signed_headers(secrets: list[str], *, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The Standard Webhooks headers; one signature per secret (old and new while a rotation
    overlaps), space-separated, any of which a receiver may verify."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets
        ),
    }


# ---- destinations ----------------------------------------------------------------------


_H16 = r"[0-9A-Fa-f]{1,4}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LS32 = rf"(?:{_H16}:{_H16}|{_OCTET}(?:\.{_OCTET}){{3}})"


def _before_gap(most: int) -> str:
    """RFC 3986's `[ *most( h16 ":" ) h16 ]`: what may stand before an IPv6 "::"."""
    return rf"(?:(?:{_H16}:){{0,{most}}}{_H16})?"


_IPV6 = (
    "(?:"
    + "|".join(
        [
            rf"(?:{_H16}:){{6}}{_LS32}",
            rf"::(?:{_H16}:){{5}}{_LS32}",
            *(rf"{_before_gap(n)}::(?:{_H16}:){{{4 - n}}}{_LS32}" for n in range(4)),
            rf"{_before_gap(4)}::{_LS32}",
            rf"{_before_gap(5)}::{_H16}",
            rf"{_before_gap(6)}::",
        ]
    )
    + ")"
)
_HOST = rf"(?:[A-Za-z0-9\-._~!$&'()*+,;=]+|\[{_IPV6}\])"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
_PATH = r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9\-._~!$&'()*+,;=:@/])*"
_QUERY = r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9\-._~!$&'()*+,;=:@/?])*"
# An http(s) URI (RFC 3986: ASCII, non-ASCII percent-encoded) with a host (a DNS name, an
# IPv4 address or a bracketed IPv6 address), an optional port and no credentials: what a
# webhook destination may look like before its host is resolved.
WEBHOOK_URL = (
    rf"^https?://{_HOST}(?::{_PORT})?"
    rf"(?:/{_PATH})?(?:\?{_QUERY})?(?:#{_QUERY})?$"
)
WEBHOOK_URL_MESSAGE = (
    "Use an http:// or https:// URL with a host (a name, an IPv4 address, or an IPv6 address "
    "in brackets) and no credentials (e.g. https://hooks.example.com/mandate)."
)


class UnsafeDestination(OSError):
    """A URL that must not be called: not http(s), or a host on an internal address."""


def allow_private() -> bool:
    return bool(getattr(settings, "MANDATE_WEBHOOKS_ALLOW_PRIVATE", False))


def address_kind(address: Address) -> str:
    """What kind of internal address this is ("loopback", …), or "" for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.is_site_local:  # fec0::/10: deprecated, still internal where used
            return "site-local"
    for flag, kind in (  # the most telling name first: 127.0.0.1 is "private" too
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_private", "private"),
    ):
        if getattr(address, flag):
            return kind
    if not address.is_global:  # the shared address space (100.64.0.0/10) and the like
        return "non-public"
    return ""


def resolve(host: str, port: int) -> list[Address]:
    """Every address the host name stands for (an IP literal stands for itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_addresses(host: str, port: int) -> list[Address]:
    """The host's addresses, all of them allowed, or UnsafeDestination naming the first that
    is not; socket.gaierror when the name does not resolve."""
    host = host.strip("[]")
    addresses = resolve(host, port)
    if not addresses:
        raise socket.gaierror(f"{host} has no address")
    if not allow_private():
        for address in addresses:
            kind = address_kind(address)
            if kind:
                article = "an" if kind[0] in "aeiou" else "a"
                if host == str(address):
                    raise UnsafeDestination(f"{address} is {article} {kind} address")
                raise UnsafeDestination(f"{host} resolves to {address}, {article} {kind} address")
    return addresses


def url_refusal(url: str, *, resolve_host: bool = True) -> str:
    """Why a URL may not be a webhook destination, or "". A name that does not resolve (yet)
    is not refused here: it is checked again, like every destination, on each delivery."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return WEBHOOK_URL_MESSAGE
    if parts.scheme not in ("http", "https"):
        return "Use an http:// or https:// URL."
    if not parts.hostname:
        return "The URL needs a host."
    if parts.username or parts.password:
        return "Put no credentials in the URL; receivers verify the signature instead."
    if not resolve_host:
        return ""
    # Checked when a URL is saved; a delivery still tries one saved before the grammar held.
    if not re.fullmatch(WEBHOOK_URL, url):
        return WEBHOOK_URL_MESSAGE
    try:
        checked_addresses(parts.hostname, port)
    except UnsafeDestination as exc:
        return f"Refused: {exc}. Webhooks go only to public addresses."
    except (OSError, UnicodeError):
        return ""
    return ""


def url_for_audit(url: str) -> str:
    """The URL as the audit trail keeps it: scheme, host and port, and only a fingerprint of
    the rest, since some receivers (Slack's, for one) put their credential in the path."""
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        return "(invalid URL)"
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    if rest in ("", "/"):
        return f"{parts.scheme}://{netloc}/"
    return f"{parts.scheme}://{netloc}/… (sha256 {hashlib.sha256(rest.encode()).hexdigest()[:12]})"


def _guarded_connect(conn: HTTPConnection) -> socket.socket:
    """Open the connection to one of the host's checked addresses, never re-resolving it."""
    addresses = checked_addresses(conn._dns_host, conn.port or 80)
    error: OSError | None = None
    for address in addresses:
        try:
            return urllib3_connection.create_connection(
                (str(address), conn.port or 80),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:
            error = exc
    raise error or OSError(f"could not connect to {conn.host}")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_connect(self)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _guarded_connect(self)


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would bypass the check
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class Result:
    """What one attempt came to."""

    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _cause(exc: BaseException) -> BaseException:
    """The innermost reason requests and urllib3 wrapped (an UnsafeDestination, say)."""
    seen = exc
    for _ in range(10):
        nested = seen.__cause__ or seen.__context__
        if nested is None:
            for arg in getattr(seen, "args", ()):
                if isinstance(arg, BaseException):
                    nested = arg
                    break
            reason = getattr(seen, "reason", None)
            if nested is None and isinstance(reason, BaseException):
                nested = reason
        if nested is None or nested is seen:
            return seen
        if isinstance(nested, UnsafeDestination):
            return nested
        seen = nested
    return seen


def failure_message(exc: BaseException, cause: BaseException, *, timeout: float, host: str) -> str:
    """Why an attempt got no answer, in words the webhooks page can show (not
    `gaierror: [Errno -2] Name or service not known`)."""
    if isinstance(cause, UnsafeDestination):
        return f"Refused: {cause}."
    if isinstance(exc, requests.Timeout) or isinstance(cause, TimeoutError):
        doing = " connecting" if isinstance(exc, requests.ConnectTimeout) else ""
        return f"Timed out after {timeout:g} s{doing}."
    if isinstance(cause, socket.gaierror):
        named = f" {host}" if host else ""
        return f"The host name{named} could not be resolved."
    if isinstance(cause, ssl.SSLError) or isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error: {_tls_reason(cause)}."
    if isinstance(cause, ConnectionRefusedError):
        return "Connection refused: nothing accepts connections at that address and port."
    if isinstance(cause, ConnectionResetError):
        return "The receiver closed the connection without answering."
    if isinstance(cause, OSError) and cause.strerror:
        return f"Could not connect: {cause.strerror[:1].lower()}{cause.strerror[1:]}."
    return f"Could not deliver: {cause}." if str(cause) else "Could not deliver."


def _tls_reason(cause: BaseException) -> str:
    verify = getattr(cause, "verify_message", None)
    if verify:
        return f"the certificate could not be verified ({verify})"
    reason = getattr(cause, "reason", None)
    if isinstance(reason, str) and reason:
        return reason.replace("_", " ").lower()
    return str(cause) or "the secure connection could not be set up"


def _text(raw: bytes | str, limit: int) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text.replace("\x00", "\ufffd")[:limit]


def post(url: str, *, body: str, headers: dict[str, str], timeout: float) -> Result:
    """POST once, following no redirect; only a 2xx counts as delivered."""
    started = time.monotonic()
    refusal = url_refusal(url, resolve_host=False)
    if refusal:
        return Result(None, refusal, "", 0)
    try:
        with _session() as session:
            response = session.post(
                url,
                data=body.encode(),
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": WEBHOOK_USER_AGENT,
                    **headers,
                },
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
            )
            try:
                raw = response.raw.read(WEBHOOK_RESPONSE_EXCERPT, decode_content=True)
            except Exception:  # the answer is what counts, not its body
                raw = b""
            finally:
                response.close()
    except requests.RequestException as exc:
        cause = _cause(exc)
        # The page shows what a person can act on; the exception itself goes to the log.
        logger.info("Webhook attempt to %s failed: %r", url_for_audit(url), cause)
        message = failure_message(exc, cause, timeout=timeout, host=urlsplit(url).hostname or "")
        return Result(None, _text(message, 1000), "", _elapsed(started))
    error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    if 300 <= response.status_code < 400:
        error += " (redirects are not followed)"
    return Result(
        response.status_code, error, _text(raw, WEBHOOK_RESPONSE_EXCERPT), _elapsed(started)
    )


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# ---- payloads and bodies ---------------------------------------------------------------


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def approval_data(approval: Any) -> dict[str, Any]:
    org = approval.organization.slug
    return {
        "organization": org,
        "approval": {
            "id": approval.public_id,
            "url": site_link(f"/o/{org}/inbox/approvals/{approval.public_id}/"),
            "decision_id": approval.decision.decision_id,
            "agent": approval.agent.key,
            "action": approval.action,
            "team": approval.team.key if approval.team else None,
            "status": approval.status,
            "due_at": _iso(approval.due_at),
            "decided_by": approval.decided_by.username if approval.decided_by else None,
            "decided_at": _iso(approval.decided_at),
        },
    }


def handoff_data(handoff: Any) -> dict[str, Any]:
    org = handoff.organization.slug
    return {
        "organization": org,
        "handoff": {
            "id": handoff.public_id,
            "url": site_link(f"/o/{org}/inbox/handoffs/{handoff.public_id}/"),
            "decision_id": handoff.decision.decision_id,
            "agent": handoff.agent.key,
            "action": handoff.action,
            "reason": handoff.reason,
            "team": handoff.team.key if handoff.team else None,
            "status": handoff.status,
            "assignee": handoff.assignee.username if handoff.assignee else None,
            "due_at": _iso(handoff.due_at),
        },
    }


def handoff_overdue_data(handoff: Any, *, notice: int, at: datetime) -> dict[str, Any]:
    """The handoff, and which announcement of its lateness this is: notice 1 when it falls
    due, 2, 3… while it stays overdue."""
    return {
        **handoff_data(handoff),
        "overdue": {
            "notice": notice,
            "renotified": notice > 1,
            "minutes_late": int((at - handoff.due_at).total_seconds() // 60),
        },
    }


def policy_version_data(version: Any) -> dict[str, Any]:
    org = version.organization.slug
    policy = version.policy
    return {
        "organization": org,
        "policy_version": {
            "policy": policy.key,
            "name": policy.name,
            "version": version.number,
            "url": site_link(f"/o/{org}/policies/{policy.key}/v/{version.number}/"),
            "content_hash": version.content_hash,
            "status": version.state,
            "activated_at": _iso(version.activated_at),
            "published_by": version.published_by.username if version.published_by else None,
        },
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def envelope(event: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The Standard Webhooks payload shape: type, timestamp, data."""
    return {"type": event, "timestamp": _iso(at), "data": data}


def body_for(fmt: str, payload: dict[str, Any]) -> str:
    """The exact text sent (and signed) for an endpoint of this format."""
    if fmt == WebhookFormat.SLACK:
        payload = slack_message(payload)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _slack_escape(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SLACK_TITLES = {
    WebhookEvent.APPROVAL_CREATED: "Approval needed",
    WebhookEvent.APPROVAL_RESOLVED: "Approval {status}",
    WebhookEvent.HANDOFF_CREATED: "Conversation handed to a person",
    WebhookEvent.HANDOFF_OVERDUE: "Handoff overdue",
    WebhookEvent.HANDOFF_RESOLVED: "Handoff {status}",
    WebhookEvent.POLICY_VERSION_PUBLISHED: "Policy version published",
}


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: a line of text (notifications, clients without
    blocks) and a section with the facts and a link to the item."""
    data = payload.get("data", {})
    item = data.get("approval") or data.get("handoff") or data.get("policy_version") or {}
    title = _SLACK_TITLES.get(payload.get("type", ""), payload.get("type", "Event"))
    title = title.format(status=item.get("status", ""))
    overdue = data.get("overdue") or {}
    if overdue.get("renotified"):
        title = f"Handoff still overdue (notice {overdue.get('notice')})"
    if "policy_version" in data:
        facts = [f"{item.get('name')} ({item.get('policy')}) version {item.get('version')}"]
    else:
        facts = [f"`{item.get('action')}` by agent `{item.get('agent')}`"]
        if item.get("team"):
            facts.append(f"team {item['team']}")
        if item.get("assignee") and item.get("status") == "claimed":
            facts.append(f"claimed by {item['assignee']}")
        if item.get("due_at") and item.get("status") in ("pending", "open", "claimed"):
            facts.append(f"due {item['due_at']}")
    summary = " · ".join(_slack_escape(f) for f in facts)
    link = item.get("url", "")
    section = f"*{title}*\n{summary}\n<{link}|Open in Mandate>"
    return {
        "text": f"{title}: {summary} {link}".strip(),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": section}}],
    }
