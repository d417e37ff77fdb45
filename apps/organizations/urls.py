"""Management API paths for organizations, members and teams."""

from django.urls import path

from apps.organizations import api

urlpatterns = [
    path("orgs/", api.OrganizationListView.as_view(), name="org-list"),
    path("orgs/<slug:org>/", api.OrganizationDetailView.as_view(), name="org-detail"),
    path("orgs/<slug:org>/members/", api.MemberListView.as_view(), name="member-list"),
    path(
        "orgs/<slug:org>/members/<str:username>/",
        api.MemberDetailView.as_view(),
        name="member-detail",
    ),
    path("orgs/<slug:org>/teams/", api.TeamListView.as_view(), name="team-list"),
    path("orgs/<slug:org>/teams/<slug:team>/", api.TeamDetailView.as_view(), name="team-detail"),
]
