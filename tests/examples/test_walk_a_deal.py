"""examples/walk_a_deal.py run as an agent runs it: a separate process calling a live server
that holds the demo data. Every kind of decision shows, each check is in the decision log,
drafts are submitted and acted on once people decide them, conversations are handed off,
outcomes are reported, and the contract's errors (401, 400, 429, 503, no server) are handled
as it says."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from apps.accounts.models import User
from apps.agents.models import Agent
from apps.agents.services import agent_key_create, organization_autonomy_set
from apps.checks import policy_cache
from apps.checks.models import Decision
from apps.humans import services as human_services
from apps.humans.models import Approval, Handoff, Outcome
from apps.organizations.models import Organization

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "walk_a_deal.py"
KINDS = {"allow", "deny", "require_approval", "escalate"}
# "     send_follow_up -> allow   dec_…   request walk-…-04"
ANSWER = re.compile(
    r"^\s+(?P<action>\w+) -> (?P<decision>\w+)\s+(?P<id>dec_\w+)\s+request (?P<request_id>\S+)$",
    re.MULTILINE,
)


def walk(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MANDATE_URL", "MANDATE_AGENT_KEY")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def answers(stdout: str) -> list[dict[str, str]]:
    return [match.groupdict() for match in ANSWER.finditer(stdout)]


def walked():
    """The decisions the walk asked for (the demo has its own history)."""
    return Decision.objects.filter(request_id__startswith="walk-")


@pytest.fixture
def demo_key(transactional_db, monkeypatch) -> str:
    """The demo data as seed_demo makes it, and a fresh key for follow-up-copilot."""
    # Compiled versions are cached by id, and ids repeat once a test's rows are gone.
    monkeypatch.setattr(policy_cache, "_cache", {})
    call_command("seed_demo", stdout=StringIO())
    agent = Agent.objects.get(organization__slug="acme", key="follow-up-copilot")
    return agent_key_create(agent=agent, by=User.objects.get(username="olivia")).raw


def test_the_walk_shows_every_decision_and_each_check_is_logged(live_server, demo_key):
    result = walk("--url", live_server.url, "--key", demo_key, "--wait", "0")

    assert result.returncode == 0, result.stdout + result.stderr
    shown = answers(result.stdout)
    assert {a["decision"] for a in shown} == KINDS
    for next_step in ("ACTS:", "STOPS:", "ASKS APPROVAL:", "HANDS TO A PERSON:"):
        assert next_step in result.stdout
    # Every step still gets the answer its explanation was written for.
    assert "this walk expected" not in result.stdout
    assert "Note:" not in result.stdout
    assert f"Done: {len(shown)} checks answered and recorded" in result.stdout

    rows = {row.decision_id: row for row in walked().select_related("agent")}
    assert len(rows) == len(shown)
    assert set(rows) == {a["id"] for a in shown}
    for answer in shown:
        row = rows[answer["id"]]
        assert (row.action, row.decision, row.request_id) == (
            answer["action"],
            answer["decision"],
            answer["request_id"],
        )
        assert row.agent.key == "follow-up-copilot"
        assert row.request["subject"] == {"type": "deal", "id": "D-2041"}
    assert len({a["request_id"] for a in shown}) == len(shown)  # one per check
    assert any(a["request_id"].endswith("a") for a in shown)  # the batch
    assert {row.primary_reason for row in rows.values()} >= {
        "action.allowed",
        "confidence.below_threshold",
        "action.requires_approval",
        "limit.exceeded",
        "trigger.human_requested",
        "action.escalate",
        "data.not_permitted",
        "action.out_of_scope",
        "action.unknown",
        "field.not_allowed",
    }
    # Nobody decided within --wait 0: the drafts wait, and the agent reports nothing for them.
    submitted = Approval.objects.filter(idempotency_key__startswith="walk-")
    assert sorted(submitted.values_list("action", flat=True)) == [
        "draft_proposal",
        "offer_discount",
        "update_deal_stage",
    ]
    assert set(submitted.values_list("status", flat=True)) == {"pending"}
    assert "Still waiting for a person: apr_" in result.stdout
    allowed = walked().filter(decision="allow")
    assert Outcome.objects.filter(decision__in=allowed, executed=True).count() == allowed.count()
    assert not Outcome.objects.filter(decision__in=walked().exclude(decision="allow")).exists()


def test_the_agent_waits_for_people_acts_on_what_they_approve_and_reports_it(live_server, demo_key):
    """While the walk waits, people decide in their inbox: the deal desk approves the
    proposal and rejects the 12% discount, the owner corrects the stage change."""
    people = {u.username: u for u in User.objects.filter(username__in=["sam", "olivia"])}
    stop = threading.Event()
    decided: list[str] = []

    def inbox() -> None:
        try:
            while not stop.is_set():
                for approval in Approval.objects.filter(
                    status="pending", idempotency_key__startswith="walk-"
                ):
                    if approval.action == "draft_proposal":
                        verdict = {"verdict": "approve"}
                    elif approval.action == "offer_discount":
                        verdict = {"verdict": "reject", "comment": "12% only from the COO."}
                    else:
                        final = dict(approval.draft, to="negotiation")
                        verdict = {"verdict": "edit", "final_draft": final}
                    deal_desk = approval.team is not None and approval.team.key == "deal-desk"
                    by = people["sam" if deal_desk else "olivia"]  # owners decide anything
                    human_services.approval_decide(approval=approval, by=by, **verdict)
                    decided.append(approval.action)
                time.sleep(0.1)
        finally:
            connection.close()

    people_at_work = threading.Thread(target=inbox)
    people_at_work.start()
    try:
        result = walk("--url", live_server.url, "--key", demo_key, "--wait", "60")
    finally:
        stop.set()
        people_at_work.join()

    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(decided) == ["draft_proposal", "offer_discount", "update_deal_stage"]
    assert "waiting for a person in deal-desk…" in result.stdout
    assert "ACTS on the draft as approved: sends the proposal." in result.stdout
    assert "ACTS on the final draft as olivia approved it" in result.stdout
    assert "changed: to" in result.stdout
    assert re.search(r"rejected\s+by sam: “12% only from the COO.”", result.stdout)
    assert "Still waiting" not in result.stdout
    assert "approved 1, edited 1, rejected 1, expired 0, still waiting 0" in result.stdout

    outcomes = {
        o.decision.action if o.decision.decision != "allow" else f"allow {o.decision.request_id}": o
        for o in Outcome.objects.filter(decision__in=walked()).select_related("decision")
    }
    assert (outcomes["draft_proposal"].executed, outcomes["draft_proposal"].detail) == (
        True,
        "sent",
    )
    assert (outcomes["update_deal_stage"].executed, outcomes["update_deal_stage"].detail) == (
        True,
        "moved to proposal as edited",
    )
    assert outcomes["offer_discount"].executed is False
    assert outcomes["offer_discount"].detail == "rejected: 12% only from the COO."
    allowed = walked().filter(decision="allow").count()
    assert len([k for k in outcomes if k.startswith("allow ")]) == allowed

    handoffs = {h.decision.primary_reason: h for h in Handoff.objects.filter(decision__in=walked())}
    assert set(handoffs) == {"action.escalate", "trigger.human_requested"}
    assert handoffs["action.escalate"].team.key == "deal-desk"
    assert handoffs["trigger.human_requested"].team.key == "sales-leadership"
    for handoff in handoffs.values():
        assert handoff.status == "open"
        assert {"summary", "intent_tags", "qualification", "thread", "needs_next"} <= set(
            handoff.context
        )
    assert "liability cap" in handoffs["trigger.human_requested"].context["summary"]
    assert re.search(r"handed off\s+hnd_\w+ to sales-leadership, due \S+ \S+ UTC", result.stdout)


def test_the_walk_says_when_the_policy_no_longer_gives_a_kind_of_decision(live_server, demo_key):
    """With the kill switch on nothing is allowed: the walk says so, and the test above,
    which wants all four kinds, would fail."""
    organization_autonomy_set(
        organization=Organization.objects.get(slug="acme"),
        by=User.objects.get(username="olivia"),
        paused=True,
        reason="Quarter-end review.",
    )
    result = walk("--url", live_server.url, "--key", demo_key, "--wait", "0")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "allow" not in {a["decision"] for a in answers(result.stdout)}
    assert "(this walk expected allow" in result.stdout
    assert "Note: no allow this time" in result.stdout


def test_a_wrong_key_stops_the_walk_with_a_clear_message(live_server, demo_key):
    result = walk("--url", live_server.url, "--key", "mnd_agent_not-a-real-key")

    assert result.returncode == 1
    assert "The agent key was refused (401)" in result.stderr
    assert "create_agent_key acme follow-up-copilot" in result.stderr
    assert "Traceback" not in result.stderr
    assert not walked().exists()


def test_no_server_is_a_clear_error():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = walk("--url", f"http://127.0.0.1:{port}", "--key", "mnd_agent_x")

    assert result.returncode == 1
    assert f"Cannot reach Mandate at http://127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_key_is_required():
    result = walk("--url", "http://127.0.0.1:1")

    assert result.returncode == 2
    assert "an agent key is required: --key or MANDATE_AGENT_KEY" in result.stderr


# A stand-in server answering what the contract allows, to drive the error paths.

Answer = tuple[int, dict[str, str], dict]


def allow(body: dict) -> dict:
    return {
        "decision_id": "dec_" + body["request_id"].replace("-", ""),
        "decision": "allow",
        "reasons": [{"code": "action.allowed", "message": "Within the envelope."}],
        "obligations": {},
        "request_id": body["request_id"],
    }


def ok(path: str, body: dict) -> Answer:
    if path.endswith("/batch"):
        return 200, {}, {"results": [allow(item) for item in body["checks"]]}
    if path.endswith("/outcome"):
        decision_id = path.split("/")[-2]
        return 201, {}, {"decision_id": decision_id, **body, "reported_at": "2026-11-23T10:00Z"}
    return 200, {}, allow(body)


@pytest.fixture
def stub() -> Iterator[Callable[[Callable[[str, dict, int], Answer]], str]]:
    servers = []

    def start(answer: Callable[[str, dict, int], Answer]) -> str:
        seen: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.do_POST()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                seen.append(self.path)
                status, headers, payload = answer(self.path, body, len(seen))
                raw = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_over_the_rate_limit_it_waits_and_tries_again(stub):
    def answer(path, body, count):
        if count == 2:
            error = {"code": "rate_limited", "message": "Too many checks.", "fields": {}}
            return 429, {"Retry-After": "0"}, {"error": error}
        return ok(path, body)

    result = walk("--url", stub(answer), "--key", "mnd_agent_x")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "(429: Too many checks. Waiting 0 s, then trying again.)" in result.stdout
    assert [a["request_id"][-2:] for a in answers(result.stdout)][:2] == ["01", "02"]


def test_an_unavailable_decision_counts_as_deny(stub):
    def answer(path, body, count):
        error = {"code": "unavailable", "message": "Not recorded.", "fields": {}}
        return 503, {}, {"error": error}

    result = walk("--url", stub(answer), "--key", "mnd_agent_x")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ACTS:" not in result.stdout
    assert "unavailable (503): Not recorded." in result.stdout
    assert "STOPS: an unavailable decision counts as deny." in result.stdout


def test_a_malformed_check_names_its_fields_and_fails_the_walk(stub):
    def answer(path, body, count):
        if body.get("action") == "offer_discount":
            error = {
                "code": "invalid",
                "message": "The check request is not valid.",
                "fields": {"context.discount_pct": "must be a number"},
            }
            return 400, {}, {"error": error}
        return ok(path, body)

    result = walk("--url", stub(answer), "--key", "mnd_agent_x")

    assert result.returncode == 1
    assert "offer_discount -> refused as malformed (400)" in result.stdout
    assert "context.discount_pct: must be a number" in result.stdout
    assert "checks were refused as malformed" in result.stderr
    assert "Done:" in result.stdout  # the other steps still ran


def test_a_rejected_or_expired_draft_is_not_acted_on(stub):
    """The contract's other endings, from a stand-in: the draft expires (or is rejected), and
    the agent does not act and says so."""
    reported: dict[str, dict] = {}

    def answer(path, body, count):
        if path == "/api/v1/check" and body["action"] == "draft_proposal":
            return 200, {}, dict(allow(body), decision="require_approval", obligations={})
        if path == "/api/v1/approvals":
            assert body["idempotency_key"].endswith("-03")
            assert body["draft"]["kind"] == "email"
            assert body["context"]["summary"]
            pending = {"id": "apr_1", "status": "pending", "approver_team": "deal-desk"}
            return 201, {}, dict(pending, due_at="2026-11-25T10:00:00Z")
        if path == "/api/v1/approvals/apr_1":
            return 200, {}, {"id": "apr_1", "status": "expired" if count > 8 else "pending"}
        if path.endswith("/outcome"):
            reported[path.split("/")[-2]] = body
        return ok(path, body)

    result = walk("--url", stub(answer), "--key", "mnd_agent_x", "--wait", "10")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "waiting for a person in deal-desk… (up to 10 s)" in result.stdout
    assert re.search(r"expired\s+nobody decided within the approval window", result.stdout)
    assert "DOES NOT ACT; holds the draft for the deal desk." in result.stdout
    proposal = next(v for k, v in reported.items() if k.endswith("03"))
    assert proposal == {"executed": False, "detail": "the approval expired"}
    assert all(v["executed"] for k, v in reported.items() if not k.endswith("03"))
