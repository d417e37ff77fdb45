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
    path("orgs/<slug:org>/invitations/", api.InvitationListView.as_view(), name="invitation-list"),
    path(
        "orgs/<slug:org>/invitations/<int:pk>/resend/",
        api.InvitationActionView.as_view(action="resend"),
        name="invitation-resend",
    ),
    path(
        "orgs/<slug:org>/invitations/<int:pk>/revoke/",
        api.InvitationActionView.as_view(action="revoke"),
        name="invitation-revoke",
    ),
    path("orgs/<slug:org>/teams/", api.TeamListView.as_view(), name="team-list"),
    path("orgs/<slug:org>/teams/<slug:team>/", api.TeamDetailView.as_view(), name="team-detail"),
]
