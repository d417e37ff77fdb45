"""Shared by the check API's tests: the policy the agent world publishes, and a client."""

import json

from django.test import Client

FULL = {
    "format": 1,
    "name": "Pipeline",
    "defaults": {"min_confidence": 0.8, "approval_expires_after_hours": 48},
    "actions": {
        "log_call_notes": {"mode": "autonomous", "fields": ["activity_log", "next_step"]},
        "send_follow_up": {
            "mode": "autonomous",
            "channels": ["email"],
            "templates": ["check-in-after-proposal"],
            "data": ["contact_details", "deal_status"],
        },
        "draft_proposal": {"mode": "approval", "approver_team": "deal-desk"},
        "offer_discount": {
            "mode": "autonomous",
            "limits": {"discount_pct": 5},
            "approver_team": "deal-desk",
        },
        "quote_price": {"mode": "escalate", "route_to_team": "deal-desk"},
        "negotiate_terms": {"mode": "forbidden"},
    },
    "triggers": {"pricing_question": {"route_to_team": "deal-desk", "respond_within_minutes": 30}},
    "data": {"never": ["payment_card"]},
}


def post(raw_key, body, path="/api/v1/check", raw=None):
    client = Client()
    return client.post(
        path,
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )
