"""The audit trail, its verification and checkpoints, and the exports of the management API."""

from django.urls import path

from apps.audit import api, trail_api

urlpatterns = [
    path(
        "orgs/<slug:org>/audit-events/",
        trail_api.AuditEventListView.as_view(),
        name="audit-event-list",
    ),
    path("orgs/<slug:org>/audit/verify/", trail_api.AuditVerifyView.as_view(), name="audit-verify"),
    path(
        "orgs/<slug:org>/audit/checkpoints/",
        trail_api.AuditCheckpointListView.as_view(),
        name="audit-checkpoint-list",
    ),
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
    # The evidence package of a period: GET evidence/?since=&until= (also exports/evidence.zip).
    path("orgs/<slug:org>/evidence/", api.EvidencePackageView.as_view(), name="evidence-package"),
]
