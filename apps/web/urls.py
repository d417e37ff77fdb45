"""Pages: /o/<org>/… for everything that belongs to an organization."""

from django.urls import path

from apps.web.views import (
    account,
    activity,
    agents,
    audit,
    catalogs,
    decisions,
    inbox,
    members,
    organizations,
    policies,
    teams,
    trust,
    webhooks,
)

app_name = "web"

VERSION = "o/<slug:org>/policies/<slug:policy>/v/<int:number>/"

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
    path("o/<slug:org>/audit/dashboard/", audit.DashboardView.as_view(), name="audit-dashboard"),
    path("o/<slug:org>/audit/verify/", audit.VerifyView.as_view(), name="audit-verify"),
    path(
        "o/<slug:org>/audit/checkpoints.json",
        audit.CheckpointsDownloadView.as_view(),
        name="audit-checkpoints",
    ),
    path(
        "o/<slug:org>/audit/events/<int:seq>/", audit.AuditEventView.as_view(), name="audit-event"
    ),
    path("o/<slug:org>/evidence/", audit.EvidenceIndexView.as_view(), name="evidence"),
    path(
        "o/<slug:org>/evidence/download/",
        audit.EvidenceDownloadView.as_view(),
        name="evidence-download",
    ),
    path(
        "o/<slug:org>/evidence/decisions/<str:decision_id>/",
        audit.DecisionEvidenceView.as_view(),
        name="evidence-decision",
    ),
    path(
        "o/<slug:org>/evidence/versions/<slug:policy>/<int:number>/",
        audit.VersionEvidenceView.as_view(),
        name="evidence-version",
    ),
    path("o/<slug:org>/agents/", agents.AgentListView.as_view(), name="agent-list"),
    path(
        "o/<slug:org>/agents/<slug:agent>/", agents.AgentDetailView.as_view(), name="agent-detail"
    ),
    path("o/<slug:org>/autonomy/", agents.AutonomyView.as_view(), name="autonomy"),
    path("o/<slug:org>/decisions/", decisions.DecisionLogView.as_view(), name="decisions"),
    path(
        "o/<slug:org>/decisions/<str:decision_id>/",
        decisions.DecisionDetailView.as_view(),
        name="decision",
    ),
    path("o/<slug:org>/webhooks/", webhooks.WebhookListView.as_view(), name="webhooks"),
    path(
        "o/<slug:org>/webhooks/<str:webhook>/",
        webhooks.WebhookActionView.as_view(),
        name="webhook-action",
    ),
    path(
        "o/<slug:org>/webhooks/<str:webhook>/deliveries/<str:message>/redeliver/",
        webhooks.WebhookRedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    path("o/<slug:org>/trust/", trust.TrustView.as_view(), name="trust"),
    path("o/<slug:org>/inbox/", inbox.InboxView.as_view(), name="inbox"),
    path("o/<slug:org>/inbox/sla/", inbox.HandoffSlaView.as_view(), name="inbox-sla"),
    path(
        "o/<slug:org>/inbox/approvals/<str:approval_id>/",
        inbox.ApprovalView.as_view(),
        name="inbox-approval",
    ),
    path(
        "o/<slug:org>/inbox/handoffs/<str:handoff_id>/",
        inbox.HandoffView.as_view(),
        name="inbox-handoff",
    ),
    path("o/<slug:org>/catalog/", catalogs.CatalogView.as_view(), name="catalog"),
    path(
        "o/<slug:org>/catalog/templates/<slug:key>/",
        catalogs.TemplateDetailView.as_view(),
        name="catalog-template",
    ),
    path("o/<slug:org>/policies/", policies.PolicyListView.as_view(), name="policy-list"),
    path(
        "o/<slug:org>/policies/<slug:policy>/",
        policies.PolicyDetailView.as_view(),
        name="policy-detail",
    ),
    path(
        "o/<slug:org>/policies/<slug:policy>/import/",
        policies.PolicyImportView.as_view(),
        name="policy-import",
    ),
    path(f"{VERSION}", policies.PolicyVersionView.as_view(), name="policy-version"),
    path(f"{VERSION}edit/", policies.PolicyEditView.as_view(), name="policy-edit"),
    path(f"{VERSION}submit/", policies.SubmitView.as_view(), name="policy-submit"),
    path(f"{VERSION}approve/", policies.ApproveView.as_view(), name="policy-approve"),
    path(f"{VERSION}reject/", policies.RejectView.as_view(), name="policy-reject"),
    path(f"{VERSION}publish/", policies.PublishView.as_view(), name="policy-publish"),
    path("settings/tokens/", account.token_list, name="token-list"),
    path("settings/tokens/<str:prefix>/revoke/", account.token_revoke, name="token-revoke"),
]
