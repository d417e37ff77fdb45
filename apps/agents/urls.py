"""Management API paths for agents, keys and the kill switch."""

from django.urls import path

from apps.agents import api

A = "orgs/<slug:org>/agents/<slug:agent>/"

urlpatterns = [
    path("orgs/<slug:org>/agents/", api.AgentListView.as_view(), name="agent-list"),
    path(A, api.AgentDetailView.as_view(), name="agent-detail"),
    path(A + "suspend/", api.AgentStatusView.as_view(suspend=True), name="agent-suspend"),
    path(A + "resume/", api.AgentStatusView.as_view(suspend=False), name="agent-resume"),
    path(A + "keys/", api.AgentKeyListView.as_view(), name="agent-keys"),
    path(
        A + "keys/<str:prefix>/revoke/", api.AgentKeyRevokeView.as_view(), name="agent-key-revoke"
    ),
    path("orgs/<slug:org>/autonomy/", api.AutonomyView.as_view(), name="autonomy"),
]
