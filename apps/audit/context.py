"""Where a change comes from (IP and user agent, or a task), without threading it through
every service signature: the middleware and tasks set it, audit_record reads it."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    user_agent: str = ""
    via: str = "web"  # "web", "api", "task:<name>", "command:<name>"


# Origin is a frozen dataclass: sharing the default instance is safe.
_origin: ContextVar[Origin] = ContextVar("audit_origin", default=Origin(via="system"))  # noqa: B039


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(value: Origin) -> Iterator[None]:
    token = _origin.set(value)
    try:
        yield
    finally:
        _origin.reset(token)
