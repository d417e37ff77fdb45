"""Pages: /o/<org>/… for everything that belongs to an organization."""

from django.urls import path

from apps.web.views import account, activity, members, organizations, teams

app_name = "web"

urlpatterns = [
    path("", organizations.home, name="home"),
    path("o/", organizations.organization_list, name="org-list"),
    path("o/<slug:org>/", organizations.OrganizationHomeView.as_view(), name="org-home"),
    path("o/<slug:org>/members/", members.MemberListView.as_view(), name="member-list"),
    path(
        "o/<slug:org>/members/<str:username>/",
        members.MemberDetailView.as_view(),
        name="member-detail",
    ),
    path("o/<slug:org>/teams/", teams.TeamListView.as_view(), name="team-list"),
    path("o/<slug:org>/teams/<slug:team>/", teams.TeamDetailView.as_view(), name="team-detail"),
    path("o/<slug:org>/activity/", activity.ActivityView.as_view(), name="activity"),
    path("settings/tokens/", account.token_list, name="token-list"),
    path("settings/tokens/<str:prefix>/revoke/", account.token_revoke, name="token-revoke"),
]
