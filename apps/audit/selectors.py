"""Reads of the audit trail."""

from django.db.models import QuerySet

from apps.audit.models import AuditEvent
from apps.organizations.models import Organization


def audit_events_list(
    *, organization: Organization, verb: str = "", actor: str = "", object_type: str = ""
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(organization=organization)
    if verb:
        events = events.filter(verb__startswith=verb)
    if actor:
        events = events.filter(actor=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    return events.order_by("-seq")


def audit_events_recent(*, organization: Organization, limit: int = 10) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=organization).order_by("-seq")[:limit])
