"""The organization's audit trail, for owners and auditors."""

from typing import Any

from django.core.paginator import Paginator

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_list
from apps.organizations.constants import Capability
from apps.web.views.base import OrganizationPageView


class ActivityView(OrganizationPageView):
    template_name = "web/activity.html"
    permission_map = {"GET": Capability.VIEW_AUDIT}
    section = "activity"
    queryset = AuditEvent.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        verb = self.request.GET.get("verb", "").strip()[:100]
        actor = self.request.GET.get("actor", "").strip()[:200]
        events = audit_events_list(organization=self.organization, verb=verb, actor=actor)
        page = Paginator(events, 50).get_page(self.request.GET.get("page"))
        context.update(page=page, verb=verb, actor=actor)
        return context
