"""The exports of the management API."""

from django.urls import path

from apps.audit import api

urlpatterns = [
    path(
        "orgs/<slug:org>/exports/decisions.csv",
        api.DecisionCsvExportView.as_view(),
        name="export-decisions-csv",
    ),
    path(
        "orgs/<slug:org>/exports/decisions.json",
        api.DecisionJsonExportView.as_view(),
        name="export-decisions-json",
    ),
    path(
        "orgs/<slug:org>/exports/audit.csv",
        api.AuditCsvExportView.as_view(),
        name="export-audit-csv",
    ),
    path(
        "orgs/<slug:org>/exports/audit.json",
        api.AuditJsonExportView.as_view(),
        name="export-audit-json",
    ),
    path(
        "orgs/<slug:org>/exports/evidence.zip",
        api.EvidenceExportView.as_view(),
        name="export-evidence",
    ),
]
