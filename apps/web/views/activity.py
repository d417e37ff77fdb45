"""The organization's audit trail, for owners and auditors: filtered, paged, and exported
with the same filters by the management API."""

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_list, audit_object_types
from apps.audit.signals import SIGN_INS
from apps.organizations.constants import Capability
from apps.web.forms_agents import UTCDateTimeField
from apps.web.views.base import OrganizationPageView


class ActivityFilterForm(forms.Form):
    """The trail's filters; a malformed time is reported next to its field and not applied."""

    verb = forms.CharField(required=False, max_length=100)
    actor = forms.CharField(required=False, max_length=200)
    object_type = forms.CharField(required=False, max_length=100)
    since = UTCDateTimeField(required=False, label="From (UTC)")
    until = UTCDateTimeField(required=False, label="Until (UTC)")
    hide_sign_ins = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until <= since:
            self.add_error("until", "Must be after the start.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The valid filters, for audit_events_list; a field in error is left out."""
        self.is_valid()
        values = {
            name: self.cleaned_data.get(name)
            for name in self.fields
            if name not in self.errors and self.cleaned_data.get(name) not in (None, "", False)
        }
        for name in ("verb", "actor", "object_type"):
            if name in values:
                values[name] = values[name].strip()
        if values.pop("hide_sign_ins", False):
            values["exclude_verbs"] = SIGN_INS
        return values


def export_query(filters: dict[str, Any]) -> str:
    """The filters as the export API reads them: times in RFC 3339, sign-ins as a flag."""
    query = {}
    for name, value in filters.items():
        if name == "exclude_verbs":
            query["hide_sign_ins"] = "true"
        elif name in ("since", "until"):
            query[name] = value.isoformat()
        else:
            query[name] = value
    return urlencode(query)


class ActivityView(OrganizationPageView):
    template_name = "web/activity.html"
    permission_map = {"GET": Capability.VIEW_AUDIT}
    section = "activity"
    queryset = AuditEvent.objects.all()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = ActivityFilterForm(self.request.GET)
        filters = form.filters()
        events = audit_events_list(organization=self.organization, **filters)
        page = Paginator(events, 50).get_page(self.request.GET.get("page"))
        query = {k: v for k, v in self.request.GET.items() if k in form.fields and v.strip()}
        exported = export_query(filters)
        slug = self.organization.slug
        context.update(
            form=form,
            object_types=audit_object_types(organization=self.organization),
            page=page,
            filtered=bool(query),
            page_query=urlencode(query),
            csv_url=reverse("api:export-audit-csv", args=[slug])
            + (f"?{exported}" if exported else ""),
            json_url=reverse("api:export-audit-json", args=[slug])
            + (f"?{exported}" if exported else ""),
        )
        return context
