"""Reads of the audit trail."""

from datetime import datetime

from django.db.models import QuerySet

from apps.audit.models import AuditEvent
from apps.organizations.models import Organization


def audit_events_list(
    *,
    organization: Organization,
    verb: str = "",
    actor: str = "",
    object_type: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    exclude_verbs: tuple[str, ...] = (),
) -> QuerySet[AuditEvent]:
    """The organization's events, newest first; `verb` matches a verb's beginning, `since` is
    inclusive and `until` exclusive; `exclude_verbs` leaves out the verbs beginning with any
    of them (the sign-ins that would bury the changes)."""
    events = AuditEvent.objects.filter(organization=organization)
    if verb:
        events = events.filter(verb__startswith=verb)
    for prefix in exclude_verbs:
        events = events.exclude(verb__startswith=prefix)
    if actor:
        events = events.filter(actor=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.order_by("-seq")


def audit_events_recent(*, organization: Organization, limit: int = 10) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=organization).order_by("-seq")[:limit])


def audit_object_types(*, organization: Organization) -> list[str]:
    """The kinds of object the organization's trail names, for the trail's filter."""
    return sorted(
        set(
            AuditEvent.objects.filter(organization=organization)
            .exclude(object_type="")
            .values_list("object_type", flat=True)
            .distinct()
        )
    )
