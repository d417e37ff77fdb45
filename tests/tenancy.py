"""The registry every organization-scoped endpoint and page is listed in, so that one set of
tests checks each of them for role permissions and cross-organization access."""

from dataclasses import dataclass
from typing import Any

from apps.organizations.constants import Capability


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to /api/v1/orgs/{org}/ or /o/{org}/; may name objects (World.names)
    capability: Capability
    body: dict[str, Any] | None = None
    ok: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, prefix: str, org: str, names: dict[str, str]) -> str:
        return prefix.format(org=org) + self.path.format(**names)


# Management API endpoints under /api/v1/orgs/{org}/.
API_ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "", Capability.VIEW),
    Endpoint("GET", "members/", Capability.VIEW),
    Endpoint(
        "POST",
        "members/",
        Capability.MANAGE_MEMBERS,
        {"email": "new@example.com", "roles": ["member"]},
        201,
    ),
    Endpoint("GET", "members/{member}/", Capability.VIEW),
    Endpoint(
        "PATCH", "members/{member}/", Capability.MANAGE_MEMBERS, {"roles": ["member", "author"]}
    ),
    Endpoint("DELETE", "members/{member}/", Capability.MANAGE_MEMBERS, None, 204),
    Endpoint("GET", "invitations/", Capability.MANAGE_MEMBERS),
    Endpoint("POST", "invitations/{invitation}/resend/", Capability.MANAGE_MEMBERS),
    Endpoint("POST", "invitations/{invitation}/revoke/", Capability.MANAGE_MEMBERS),
    Endpoint("GET", "teams/", Capability.VIEW),
    Endpoint(
        "POST", "teams/", Capability.MANAGE_TEAMS, {"key": "new-team", "name": "New team"}, 201
    ),
    Endpoint("GET", "teams/{team}/", Capability.VIEW),
    Endpoint("PATCH", "teams/{team}/", Capability.MANAGE_TEAMS, {"name": "Renamed"}),
    Endpoint("DELETE", "teams/{spare_team}/", Capability.MANAGE_TEAMS, None, 204),
    *[
        endpoint
        for kind, body, patch in [
            ("actions", {"key": "new_action", "label": "New", "risk": "low"}, {"risk": "high"}),
            ("signals", {"key": "new_signal", "label": "New"}, {"label": "Renamed"}),
            ("data-categories", {"key": "new_data", "label": "New"}, {"sensitive": True}),
            ("templates", {"key": "new-template", "label": "New", "body": "Hi"}, {"body": "Hello"}),
        ]
        for endpoint in (
            Endpoint("GET", f"catalog/{kind}/", Capability.VIEW),
            Endpoint("POST", f"catalog/{kind}/", Capability.MANAGE_CATALOGS, body, 201),
            Endpoint("GET", f"catalog/{kind}/{{{kind.replace('-', '_')}}}/", Capability.VIEW),
            Endpoint(
                "PATCH",
                f"catalog/{kind}/{{{kind.replace('-', '_')}}}/",
                Capability.MANAGE_CATALOGS,
                patch,
            ),
        )
    ],
    Endpoint("GET", "policies/", Capability.VIEW),
    Endpoint("POST", "policies/", Capability.AUTHOR_POLICIES, {"key": "new", "name": "New"}, 201),
    Endpoint("GET", "policies/{policy}/", Capability.VIEW),
    Endpoint("GET", "policies/{policy}/versions/", Capability.VIEW),
    Endpoint("POST", "policies/{policy}/versions/", Capability.AUTHOR_POLICIES, {}, 201),
    Endpoint("GET", "policies/{policy}/versions/1/", Capability.VIEW),
    Endpoint(
        "PATCH",
        "policies/{policy}/versions/1/",
        Capability.AUTHOR_POLICIES,
        {"document": {"format": 1, "name": "Edited", "actions": {}}},
    ),
    Endpoint("POST", "policies/{policy}/versions/1/submit/", Capability.AUTHOR_POLICIES),
    Endpoint(
        "POST",
        "policies/{policy}/versions/2/approve/",
        Capability.REVIEW_POLICIES,
        {"comment": "ok"},
    ),
    Endpoint(
        "POST",
        "policies/{policy}/versions/2/reject/",
        Capability.REVIEW_POLICIES,
        {"comment": "no"},
    ),
    Endpoint("POST", "policies/{policy}/versions/3/publish/", Capability.PUBLISH_POLICIES, {}),
    Endpoint("GET", "policies/{policy}/versions/2/diff/?against=1", Capability.VIEW),
    Endpoint(
        "POST",
        "policies/{policy}/versions/1/simulate/",
        Capability.VIEW,
        {"action": "send_follow_up", "confidence": 0.9},
    ),
    Endpoint("GET", "agents/", Capability.VIEW),
    Endpoint("POST", "agents/", Capability.MANAGE_AGENTS, {"key": "new-agent", "name": "New"}, 201),
    Endpoint("GET", "agents/{agent}/", Capability.VIEW),
    Endpoint("PATCH", "agents/{agent}/", Capability.MANAGE_AGENTS, {"name": "Renamed"}),
    Endpoint("POST", "agents/{agent}/suspend/", Capability.MANAGE_AGENTS),
    Endpoint("POST", "agents/{agent}/resume/", Capability.MANAGE_AGENTS, None, 409),
    Endpoint("GET", "agents/{agent}/keys/", Capability.MANAGE_AGENTS),
    Endpoint("POST", "agents/{agent}/keys/", Capability.MANAGE_AGENTS, {}, 201),
    Endpoint("POST", "agents/{agent}/keys/{agent_key}/revoke/", Capability.MANAGE_AGENTS),
    Endpoint("GET", "autonomy/", Capability.VIEW),
    Endpoint("PUT", "autonomy/", Capability.CONTROL_AUTONOMY, {"paused": True, "reason": "test"}),
    Endpoint("GET", "decisions/", Capability.VIEW_DECISIONS),
    Endpoint("GET", "decisions/{decision}/", Capability.VIEW_DECISIONS),
    Endpoint("GET", "policies/{policy}/versions/2/export/?format=json", Capability.VIEW),
    Endpoint("GET", "approvals/", Capability.WORK_INBOX),
    Endpoint("GET", "approvals/{approval}/", Capability.WORK_INBOX),
    Endpoint("POST", "approvals/{approval}/approve/", Capability.WORK_INBOX, {}),
    Endpoint(
        "POST",
        "approvals/{approval}/edit/",
        Capability.WORK_INBOX,
        {"final_draft": {"kind": "email", "body": "Edited."}},
    ),
    Endpoint("POST", "approvals/{approval}/reject/", Capability.WORK_INBOX, {"comment": "No."}),
    Endpoint("GET", "handoffs/", Capability.WORK_INBOX),
    Endpoint("GET", "handoffs/response-times/", Capability.WORK_INBOX),
    Endpoint("GET", "handoffs/{handoff}/", Capability.WORK_INBOX),
    Endpoint("POST", "handoffs/{handoff}/claim/", Capability.WORK_INBOX),
    Endpoint(
        "POST", "handoffs/{handoff}/resolve/", Capability.WORK_INBOX, {"resolution": "Called"}
    ),
    Endpoint(
        "POST",
        "handoffs/{handoff}/hand-back/",
        Capability.WORK_INBOX,
        {"follow_up": "Send the quote."},
    ),
    Endpoint("GET", "trust/", Capability.VIEW_DECISIONS),
    # The world's record supports nothing: allowed, and refused for the state (409).
    Endpoint(
        "POST",
        "trust/propose/",
        Capability.AUTHOR_POLICIES,
        {"agent": "copilot", "action": "draft_proposal", "days": 30},
        409,
    ),
    Endpoint("GET", "webhooks/", Capability.MANAGE_WEBHOOKS),
    Endpoint(
        "POST",
        "webhooks/",
        Capability.MANAGE_WEBHOOKS,
        {"url": "https://hooks.example.com/new", "events": ["handoff.created"]},
        201,
    ),
    Endpoint("GET", "webhooks/{webhook}/", Capability.MANAGE_WEBHOOKS),
    Endpoint("PATCH", "webhooks/{webhook}/", Capability.MANAGE_WEBHOOKS, {"active": False}),
    Endpoint("DELETE", "webhooks/{webhook}/", Capability.MANAGE_WEBHOOKS, None, 204),
    Endpoint("POST", "webhooks/{webhook}/rotate-secret/", Capability.MANAGE_WEBHOOKS),
    Endpoint("GET", "webhooks/{webhook}/deliveries/", Capability.MANAGE_WEBHOOKS),
    Endpoint("GET", "webhooks/{webhook}/deliveries/{webhook_message}/", Capability.MANAGE_WEBHOOKS),
    Endpoint(
        "POST",
        "webhooks/{webhook}/deliveries/{webhook_message}/redeliver/",
        Capability.MANAGE_WEBHOOKS,
        None,
        202,
    ),
    Endpoint("PATCH", "", Capability.MANAGE_MEMBERS, {"decision_retention_days": 365}),
    Endpoint("GET", "exports/decisions.csv", Capability.VIEW_AUDIT),
    Endpoint("GET", "exports/decisions.json?decision=deny", Capability.VIEW_AUDIT),
    Endpoint("GET", "exports/audit.csv?verb=policy", Capability.VIEW_AUDIT),
    Endpoint("GET", "exports/audit.json", Capability.VIEW_AUDIT),
    Endpoint(
        "GET",
        "exports/evidence.zip?since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z",
        Capability.VIEW_AUDIT,
    ),
    Endpoint("GET", "evidence/decisions/{decision}/", Capability.VIEW_AUDIT),
    Endpoint("GET", "evidence/versions/{policy}/3/?page_size=10", Capability.VIEW_AUDIT),
    Endpoint(
        "GET",
        "evidence/?since=2020-01-01T00:00:00Z&until=2100-01-01T00:00:00Z",
        Capability.VIEW_AUDIT,
    ),
    Endpoint("GET", "audit-events/?verb=policy", Capability.VIEW_AUDIT),
    Endpoint("GET", "audit/verify/", Capability.VIEW_AUDIT),
    Endpoint("GET", "audit/checkpoints/", Capability.VIEW_AUDIT),
]

# Pages under /o/{org}/ (POST bodies are valid form submissions).
PAGES: list[Endpoint] = [
    Endpoint("GET", "", Capability.VIEW),
    Endpoint("GET", "members/", Capability.VIEW),
    Endpoint(
        "POST",
        "members/",
        Capability.MANAGE_MEMBERS,
        {"email": "new@example.com", "roles": ["member"]},
        302,
    ),
    Endpoint("GET", "members/{member}/", Capability.VIEW),
    Endpoint(
        "POST", "members/{member}/", Capability.MANAGE_MEMBERS, {"roles": ["member", "author"]}, 302
    ),
    Endpoint("GET", "teams/", Capability.VIEW),
    Endpoint(
        "POST", "teams/", Capability.MANAGE_TEAMS, {"key": "new-team", "name": "New team"}, 302
    ),
    Endpoint("GET", "teams/{team}/", Capability.VIEW),
    Endpoint(
        "POST", "teams/{team}/", Capability.MANAGE_TEAMS, {"name": "Renamed", "members": []}, 302
    ),
    Endpoint("GET", "activity/", Capability.VIEW_AUDIT),
    Endpoint("GET", "agents/", Capability.VIEW),
    Endpoint(
        "POST", "agents/", Capability.MANAGE_AGENTS, {"key": "new-agent", "name": "New agent"}, 302
    ),
    Endpoint("GET", "agents/{agent}/", Capability.VIEW),
    Endpoint("POST", "agents/{agent}/", Capability.MANAGE_AGENTS, {"action": "suspend"}, 302),
    Endpoint("POST", "autonomy/", Capability.CONTROL_AUTONOMY, {"paused": "1", "reason": "x"}, 302),
    Endpoint("GET", "decisions/", Capability.VIEW_DECISIONS),
    Endpoint("GET", "decisions/{decision}/", Capability.VIEW_DECISIONS),
    Endpoint("GET", "trust/", Capability.VIEW_DECISIONS),
    Endpoint(
        "POST",
        "trust/",
        Capability.AUTHOR_POLICIES,
        {"agent": "copilot", "action": "draft_proposal", "days": "30"},
        302,
    ),
    Endpoint("GET", "inbox/", Capability.WORK_INBOX),
    Endpoint("GET", "inbox/sla/", Capability.WORK_INBOX),
    Endpoint("GET", "inbox/approvals/{approval}/", Capability.WORK_INBOX),
    Endpoint(
        "POST", "inbox/approvals/{approval}/", Capability.WORK_INBOX, {"verdict": "approve"}, 302
    ),
    Endpoint("GET", "inbox/handoffs/{handoff}/", Capability.WORK_INBOX),
    Endpoint("POST", "inbox/handoffs/{handoff}/", Capability.WORK_INBOX, {"action": "claim"}, 302),
    Endpoint("GET", "catalog/", Capability.VIEW),
    Endpoint(
        "POST",
        "catalog/",
        Capability.MANAGE_CATALOGS,
        {"catalog": "signals", "key": "new_signal", "label": "New"},
        302,
    ),
    Endpoint("GET", "catalog/templates/{templates}/", Capability.VIEW),
    Endpoint(
        "POST",
        "catalog/templates/{templates}/",
        Capability.MANAGE_CATALOGS,
        {"label": "Renamed", "subject": "S", "body": "New body"},
        302,
    ),
    Endpoint("GET", "policies/", Capability.VIEW),
    Endpoint("POST", "policies/", Capability.AUTHOR_POLICIES, {"key": "new", "name": "New"}, 302),
    Endpoint("GET", "policies/{policy}/", Capability.VIEW),
    Endpoint("POST", "policies/{policy}/", Capability.AUTHOR_POLICIES, {"based_on": "2"}, 302),
    Endpoint("GET", "policies/{policy}/import/", Capability.AUTHOR_POLICIES),
    Endpoint(
        "POST",
        "policies/{policy}/import/",
        Capability.AUTHOR_POLICIES,
        {"text": "format: 1\nname: Imported\n", "format": "yaml"},
        302,
    ),
    Endpoint("GET", "policies/{policy}/v/2/", Capability.VIEW),
    Endpoint(
        "POST",
        "policies/{policy}/v/2/",
        Capability.VIEW,
        {"action": "send_follow_up", "confidence": "0.9"},
    ),
    Endpoint("GET", "policies/{policy}/v/1/edit/", Capability.AUTHOR_POLICIES),
    Endpoint(
        "POST",
        "policies/{policy}/v/1/edit/",
        Capability.AUTHOR_POLICIES,
        {"name": "Edited", "action-send_follow_up-mode": "autonomous"},
        302,
    ),
    Endpoint("POST", "policies/{policy}/v/1/submit/", Capability.AUTHOR_POLICIES, {}, 302),
    Endpoint("POST", "policies/{policy}/v/2/approve/", Capability.REVIEW_POLICIES, {}, 302),
    Endpoint(
        "POST", "policies/{policy}/v/2/reject/", Capability.REVIEW_POLICIES, {"comment": "no"}, 302
    ),
    Endpoint("POST", "policies/{policy}/v/3/publish/", Capability.PUBLISH_POLICIES, {}, 302),
    Endpoint("GET", "webhooks/", Capability.MANAGE_WEBHOOKS),
    Endpoint(
        "POST",
        "webhooks/",
        Capability.MANAGE_WEBHOOKS,
        {"url": "https://hooks.example.com/new", "events": "handoff.created", "format": "slack"},
    ),
    Endpoint("POST", "webhooks/{webhook}/", Capability.MANAGE_WEBHOOKS, {"action": "rotate"}),
    Endpoint("POST", "webhooks/{webhook}/", Capability.MANAGE_WEBHOOKS, {"action": "disable"}, 302),
    Endpoint(
        "POST",
        "webhooks/{webhook}/deliveries/{webhook_message}/redeliver/",
        Capability.MANAGE_WEBHOOKS,
        {},
        302,
    ),
    Endpoint("GET", "audit/dashboard/", Capability.VIEW_DECISIONS),
    Endpoint("GET", "audit/dashboard/?days=7", Capability.VIEW_DECISIONS),
    Endpoint("GET", "audit/verify/", Capability.VIEW_AUDIT),
    # No file: the form's error, after the capability check let the request through.
    Endpoint("POST", "audit/verify/", Capability.VIEW_AUDIT, {}, 400),
    Endpoint("GET", "audit/checkpoints.json", Capability.VIEW_AUDIT),
    Endpoint("GET", "audit/events/1/", Capability.VIEW_AUDIT),
    Endpoint("GET", "evidence/", Capability.VIEW_AUDIT),
    Endpoint(
        "GET",
        "evidence/download/?start=2026-01-01&end=2026-01-31",
        Capability.VIEW_AUDIT,
        None,
        302,
    ),
    Endpoint("GET", "evidence/decisions/{decision}/", Capability.VIEW_AUDIT),
    Endpoint("GET", "evidence/versions/{policy}/3/", Capability.VIEW_AUDIT),
]

# Objects named in paths: World.names (the caller's own) and World.foreign_names (another
# organization's, which must answer 404) give each placeholder a value.
