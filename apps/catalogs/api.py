"""Management API: the catalogs (actions, signals, data categories, templates)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.catalogs import serializers as s
from apps.catalogs import services
from apps.catalogs.constants import CatalogKind
from apps.catalogs.models import Action, DataCategory, Signal, Template
from apps.core.api import refusals_of_state
from apps.core.openapi import conflict
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView


class CatalogView(OrganizationAPIView):
    kind: str
    out: type
    create_in: type
    patch_in: type


class CatalogListView(CatalogView):
    permission_map = {"GET": Capability.VIEW, "POST": Capability.MANAGE_CATALOGS}

    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset().order_by("key"))
        return self.get_paginated_response(self.out(page, many=True).data)

    def post(self, request: Request, org: str) -> Response:
        payload = self.create_in(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            entry = services.catalog_entry_create(
                organization=self.organization,
                by=request.user,
                kind=self.kind,
                values=payload.validated_data,
            )
        return Response(
            self.out(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED
        )


class CatalogDetailView(CatalogView):
    permission_map = {"GET": Capability.VIEW, "PATCH": Capability.MANAGE_CATALOGS}

    def get_entry(self):
        entry = self.get_queryset().filter(key=self.kwargs["key"]).first()
        if entry is None:
            raise exceptions.NotFound("No such catalog entry.")
        return entry

    def get(self, request: Request, org: str, key: str) -> Response:
        return Response(self.out(self.get_entry()).data)

    def patch(self, request: Request, org: str, key: str) -> Response:
        entry = self.get_entry()
        payload = self.patch_in(data=request.data)
        payload.is_valid(raise_exception=True)
        services.catalog_entry_update(
            entry=entry, by=request.user, kind=self.kind, values=payload.validated_data
        )
        return Response(self.out(self.get_entry()).data)


def _views(kind: str, model, out, create_in, patch_in, tag: str):
    attrs = {
        "kind": kind,
        "out": out,
        "create_in": create_in,
        "patch_in": patch_in,
        "queryset": model.objects.prefetch_related("versions")
        if model is Template
        else model.objects.all(),
        "serializer_class": out,
    }
    list_view = extend_schema_view(
        get=extend_schema(operation_id=f"orgs_catalog_{tag}_list", responses=out(many=True)),
        post=extend_schema(
            request=create_in,
            responses={201: out, 409: conflict("The catalog has an entry with this key.")},
        ),
    )(type(f"{model.__name__}ListView", (CatalogListView,), dict(attrs)))
    detail_view = extend_schema_view(
        get=extend_schema(responses=out),
        patch=extend_schema(request=patch_in, responses=out),
    )(type(f"{model.__name__}DetailView", (CatalogDetailView,), dict(attrs)))
    return list_view, detail_view


ActionListView, ActionDetailView = _views(
    CatalogKind.ACTIONS, Action, s.ActionOut, s.ActionIn, s.ActionPatchIn, "actions"
)
SignalListView, SignalDetailView = _views(
    CatalogKind.SIGNALS, Signal, s.SignalOut, s.EntryIn, s.EntryPatchIn, "signals"
)
DataCategoryListView, DataCategoryDetailView = _views(
    CatalogKind.DATA_CATEGORIES,
    DataCategory,
    s.DataCategoryOut,
    s.DataCategoryIn,
    s.DataCategoryPatchIn,
    "data_categories",
)
TemplateListView, TemplateDetailView = _views(
    CatalogKind.TEMPLATES, Template, s.TemplateOut, s.TemplateIn, s.TemplatePatchIn, "templates"
)
