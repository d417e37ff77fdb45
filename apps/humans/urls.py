"""The agent API's human loop, and the inbox, handoffs and webhooks under the
organization."""

from django.urls import path

from apps.humans import agent_api, api, reports_api

agent_urlpatterns = [
    path("approvals", agent_api.ApprovalSubmitView.as_view(), name="approval-submit"),
    path(
        "approvals/<str:approval_id>",
        agent_api.ApprovalStatusView.as_view(),
        name="approval-status",
    ),
    path("handoffs", agent_api.HandoffCreateView.as_view(), name="handoff-create"),
    path("handoffs/<str:handoff_id>", agent_api.HandoffStatusView.as_view(), name="handoff-status"),
    path(
        "decisions/<str:decision_id>/outcome",
        agent_api.OutcomeView.as_view(),
        name="decision-outcome",
    ),
    path("webhooks", agent_api.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<str:webhook_id>", agent_api.WebhookDetailView.as_view(), name="webhook-delete"),
]

ORG = "orgs/<slug:org>/"
urlpatterns = [
    path(ORG + "approvals/", api.ApprovalListView.as_view(), name="approval-list"),
    path(
        ORG + "approvals/<str:approval_id>/",
        api.ApprovalDetailView.as_view(),
        name="approval-detail",
    ),
    path(
        ORG + "approvals/<str:approval_id>/approve/",
        api.ApprovalApproveView.as_view(),
        name="approval-approve",
    ),
    path(
        ORG + "approvals/<str:approval_id>/edit/",
        api.ApprovalEditView.as_view(),
        name="approval-edit",
    ),
    path(
        ORG + "approvals/<str:approval_id>/reject/",
        api.ApprovalRejectView.as_view(),
        name="approval-reject",
    ),
    path(ORG + "handoffs/", api.HandoffListView.as_view(), name="handoff-list"),
    # Before the handoff detail, whose id it would otherwise be taken for.
    path(
        ORG + "handoffs/response-times/",
        reports_api.HandoffSlaView.as_view(),
        name="handoff-response-times",
    ),
    path(
        ORG + "handoffs/<str:handoff_id>/", api.HandoffDetailView.as_view(), name="handoff-detail"
    ),
    path(
        ORG + "handoffs/<str:handoff_id>/claim/",
        api.HandoffClaimView.as_view(),
        name="handoff-claim",
    ),
    path(
        ORG + "handoffs/<str:handoff_id>/resolve/",
        api.HandoffResolveView.as_view(),
        name="handoff-resolve",
    ),
    path(
        ORG + "handoffs/<str:handoff_id>/hand-back/",
        api.HandoffHandBackView.as_view(),
        name="handoff-hand-back",
    ),
    path(ORG + "trust/", reports_api.TrustView.as_view(), name="trust"),
    path(ORG + "trust/propose/", reports_api.TrustProposeView.as_view(), name="trust-propose"),
    path(ORG + "webhooks/", api.WebhookListView.as_view(), name="webhook-list"),
    path(ORG + "webhooks/<str:webhook>/", api.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        ORG + "webhooks/<str:webhook>/rotate-secret/",
        api.WebhookRotateSecretView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        ORG + "webhooks/<str:webhook>/deliveries/",
        api.WebhookDeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        ORG + "webhooks/<str:webhook>/deliveries/<str:message>/",
        api.WebhookDeliveryDetailView.as_view(),
        name="webhook-delivery",
    ),
    path(
        ORG + "webhooks/<str:webhook>/deliveries/<str:message>/redeliver/",
        api.WebhookRedeliverView.as_view(),
        name="webhook-redeliver",
    ),
]
