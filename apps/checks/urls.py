"""The agent API (check, batch) and the decision log's management paths."""

from django.urls import path

from apps.checks import agent_api, api

agent_urlpatterns = [
    path("check", agent_api.check, name="check"),
    path("check/batch", agent_api.check_batch, name="check-batch"),
    path("check/", agent_api.with_trailing_slash),
    path("check/batch/", agent_api.with_trailing_slash),
]

urlpatterns = [
    path("orgs/<slug:org>/decisions/", api.DecisionListView.as_view(), name="decision-list"),
    path(
        "orgs/<slug:org>/decisions/<str:decision_id>/",
        api.DecisionDetailView.as_view(),
        name="decision-detail",
    ),
]
