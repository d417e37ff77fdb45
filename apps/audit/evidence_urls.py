"""The evidence chain in the management API."""

from django.urls import path

from apps.audit import evidence_api

urlpatterns = [
    path(
        "orgs/<slug:org>/evidence/decisions/<str:decision_id>/",
        evidence_api.DecisionEvidenceView.as_view(),
        name="evidence-decision",
    ),
    path(
        "orgs/<slug:org>/evidence/versions/<slug:policy>/<int:number>/",
        evidence_api.VersionEvidenceView.as_view(),
        name="evidence-version",
    ),
]
