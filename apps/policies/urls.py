"""Management API paths for policies and versions."""

from django.urls import path

from apps.policies import api

V = "orgs/<slug:org>/policies/<slug:policy>/versions/<int:number>/"

urlpatterns = [
    path(
        "policy-format.schema.json",
        api.PolicyFormatSchemaView.as_view(),
        name="policy-format-schema",
    ),
    path("orgs/<slug:org>/policies/", api.PolicyListView.as_view(), name="policy-list"),
    path(
        "orgs/<slug:org>/policies/<slug:policy>/",
        api.PolicyDetailView.as_view(),
        name="policy-detail",
    ),
    path(
        "orgs/<slug:org>/policies/<slug:policy>/versions/",
        api.VersionListView.as_view(),
        name="version-list",
    ),
    path(V, api.VersionDetailView.as_view(), name="version-detail"),
    path(V + "submit/", api.VersionSubmitView.as_view(), name="version-submit"),
    path(V + "approve/", api.VersionApproveView.as_view(), name="version-approve"),
    path(V + "reject/", api.VersionRejectView.as_view(), name="version-reject"),
    path(V + "publish/", api.VersionPublishView.as_view(), name="version-publish"),
    path(V + "diff/", api.VersionDiffView.as_view(), name="version-diff"),
    path(V + "export/", api.VersionExportView.as_view(), name="version-export"),
    path(V + "simulate/", api.VersionSimulateView.as_view(), name="version-simulate"),
]
