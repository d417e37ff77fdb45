"""The catalogs a policy document refers to: actions, signals, data categories, templates."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from apps.catalogs import services
from apps.catalogs.constants import CatalogKind, Risk, TemplateKind
from apps.catalogs.models import Template
from apps.catalogs.selectors import (
    actions_list,
    data_categories_list,
    signals_list,
    templates_list,
)
from apps.core.errors import ApplicationError
from apps.organizations.constants import Capability
from apps.web.views.base import OrganizationPageView

FIELDS = {
    CatalogKind.ACTIONS: ("key", "label", "description", "risk"),
    CatalogKind.SIGNALS: ("key", "label", "description"),
    CatalogKind.DATA_CATEGORIES: ("key", "label", "description", "sensitive"),
    CatalogKind.TEMPLATES: (
        "key",
        "label",
        "description",
        "kind",
        "engagement_type",
        "subject",
        "body",
    ),
}


def _values(kind: str, data) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FIELDS[kind]:
        if name == "sensitive":
            values[name] = data.get(name) == "on"
        elif name in data:
            values[name] = data[name]
    return values


class CatalogView(OrganizationPageView):
    template_name = "web/catalog.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_CATALOGS}
    section = "catalog"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        org = self.organization
        context.update(
            actions=actions_list(organization=org),
            signals=signals_list(organization=org),
            data_categories=data_categories_list(organization=org),
            templates=templates_list(organization=org),
            risks=Risk.choices,
            template_kinds=TemplateKind.choices,
            failed_kind=kwargs.get("failed_kind", ""),
            errors=kwargs.get("errors", {}),
            values=kwargs.get("values", {}),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        kind = request.POST.get("catalog", "")
        if kind not in FIELDS:
            raise Http404("No such catalog.")
        values = _values(kind, request.POST)
        try:
            entry = services.catalog_entry_create(
                organization=self.organization, by=request.user, kind=kind, values=values
            )
        except ApplicationError as exc:
            context = self.get_context_data(failed_kind=kind, errors=exc.fields, values=values)
            return self.render_to_response(context, status=400)
        messages.success(request, f"{entry.label} added to the catalog.")
        return redirect(f"{request.path}#{kind}")


class TemplateDetailView(OrganizationPageView):
    template_name = "web/catalog_template.html"
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_CATALOGS}
    section = "catalog"
    queryset = Template.objects.prefetch_related("versions")

    def get_template_entry(self) -> Template:
        entry = self.get_queryset().filter(key=self.kwargs["key"]).first()
        if entry is None:
            raise Http404("No such template.")
        return entry

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        entry = self.get_template_entry()
        versions = list(entry.versions.order_by("-number"))
        current = next((v for v in versions if v.number == entry.current_version), None)
        context.update(
            entry=entry,
            versions=versions,
            values=kwargs.get("values")
            or {
                "label": entry.label,
                "subject": current.subject if current else "",
                "body": current.body if current else "",
            },
            errors=kwargs.get("errors", {}),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        entry = self.get_template_entry()
        values = {k: request.POST.get(k, "") for k in ("label", "subject", "body")}
        try:
            services.catalog_entry_update(
                entry=entry, by=request.user, kind=CatalogKind.TEMPLATES, values=values
            )
        except ApplicationError as exc:
            return self.render_to_response(
                self.get_context_data(values=values, errors=exc.fields), status=400
            )
        messages.success(request, f"{entry.label} saved.")
        return redirect(request.path)
