#!/usr/bin/env python3
"""Walk one deal through Mandate's check API, step by step, as a sales agent would.

The agent is the demo organization's follow-up copilot (`acme` / `follow-up-copilot`,
governed by the active version of the policy `sales-pipeline`). It works the deal
"Warehouse analytics rollout" (D-2041) with Northwind Logistics, whose head of operations,
Priya Raman, moves from a discovery call to a proposal, a discount negotiation and a
meeting. Before every action it asks `POST /api/v1/check`, prints the answer, and does
what the answer says, and closes the loop:

- allow: it acts, and reports what it did (`POST /api/v1/decisions/{id}/outcome`);
- require_approval: it submits the draft (`POST /api/v1/approvals`, with an idempotency
  key), waits up to `--wait` seconds for a person of the routed team to decide
  (`GET /api/v1/approvals/{id}`), acts on the draft as approved (the person's final draft
  when they edited it) and reports it; when the draft is rejected or expires it does not
  act, and reports that; when nobody has decided yet it goes on without acting;
- escalate: it hands the conversation to a person (`POST /api/v1/handoffs`) with the
  context package they read before speaking, and shows the team and the due time;
- deny: it stops.

At the end of the day it checks its CRM updates in one call to `POST /api/v1/check/batch`.

Standard library only; runs with Python 3.9 or newer:

    python examples/walk_a_deal.py --key mnd_agent_…        # or MANDATE_AGENT_KEY=…
    python examples/walk_a_deal.py --url http://127.0.0.1:8000 --key …   # or MANDATE_URL=…
    python examples/walk_a_deal.py --key … --wait 300   # time to decide in the inbox

Errors are handled as the agent API's contract says: 401 stops the walk (the key is
wrong), 400 names the bad fields (the agent does not act), 429 waits for `Retry-After` and
tries again, 503 counts as deny. Exit status: 0 when every check was answered, 1 when the
server cannot be reached, the key is refused, a check was refused as malformed or a
submission was refused, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import email.utils
import http.client
import json
import os
import string
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"
KEY_HELP = (
    "bin/run prints a key for follow-up-copilot; "
    "`python manage.py create_agent_key acme follow-up-copilot` makes another"
)
MAX_RETRIES = 5  # per check, on 429
MAX_WAIT_SECONDS = 30.0
DEFAULT_APPROVAL_WAIT = 5.0  # seconds to wait for a person, per approval
POLL_SECONDS = 0.5
WIDTH = 100  # the printed lines wrap at this width

DEAL = {"type": "deal", "id": "D-2041"}
DECISIONS = ("allow", "deny", "require_approval", "escalate")

# What a person reads before deciding a draft or taking the conversation over.
THREAD = [
    {
        "from": "Priya Raman",
        "at": "Mon 10:02",
        "text": "Thanks for the call. Send us something we can take to the board.",
    },
    {
        "from": "follow-up-copilot",
        "at": "Mon 10:20",
        "text": "Thank you, Priya. You will have our proposal by Friday.",
    },
    {
        "from": "Priya Raman",
        "at": "Thu 16:45",
        "text": "What would adding the Rotterdam and Hamburg warehouses cost? And before we "
        "sign, can I talk to someone about the liability cap in your MSA?",
    },
]
QUALIFICATION = {
    "budget": "EUR 48,000 approved for this fiscal year; more needs the COO",
    "authority": "Priya recommends, the COO signs",
    "need": "one view of stock and throughput across three warehouses",
    "timeline": "board meeting on the 28th; budget closes at month end",
}
DEAL_PACKAGE = {
    "id": "D-2041",
    "name": "Warehouse analytics rollout",
    "company": "Northwind Logistics",
    "contact": "Priya Raman, Head of Operations",
    "stage": "proposal",
    "value": 48000,
}


@dataclass
class Step:
    title: str
    wants: str  # what the agent wanted to do, in a sentence
    check: dict[str, Any]  # the check request, without its request_id
    act: str  # what acting means for this step, if it is allowed
    expected: str  # what the demo policy answers (shown only when it answers otherwise)
    instead: str = ""  # what the agent does when it may not act itself
    done: str = "done"  # the outcome it reports once it has acted
    draft: dict[str, Any] = field(default_factory=dict)  # what a person approves
    summary: str = ""  # why the agent wants it, for the person reading the draft
    handoff: dict[str, Any] = field(default_factory=dict)  # what the person taking over reads


STEPS = [
    Step(
        title="Log the discovery call",
        wants="After a 40-minute discovery call, the agent writes the call notes and the "
        "agreed next step (a proposal by Friday) to the deal in the CRM.",
        check={
            "action": "log_call_notes",
            "confidence": 0.94,
            "context": {
                "crm_fields": ["activity_log", "next_step"],
                "data_categories": ["meeting_notes"],
                "deal_stage": "discovery",
            },
        },
        act="writes the notes and the next step to D-2041",
        expected="allow",
        done="logged the call notes and the next step",
    ),
    Step(
        title="Move the deal to the proposal stage",
        wants="Priya said “send us something we can take to the board”. The agent reads it "
        "as a request for a proposal and wants to move D-2041 to the proposal stage, but "
        "it is only 86% sure.",
        check={
            "action": "update_deal_stage",
            "confidence": 0.86,
            "context": {"crm_fields": ["deal_stage"], "deal_stage": "proposal"},
        },
        act="moves D-2041 to the proposal stage",
        expected="require_approval",
        instead="leaves the stage as it is until a person confirms",
        done="moved to proposal",
        draft={
            "kind": "crm_update",
            "deal": "D-2041",
            "field": "deal_stage",
            "from": "discovery",
            "to": "proposal",
        },
        summary="Priya asked for “something we can take to the board”; the agent reads it "
        "as a request for a proposal, 86% sure.",
    ),
    Step(
        title="Draft the proposal",
        wants="The agent assembles a fixed-scope proposal (EUR 48,000, three warehouses, "
        "twelve weeks) from the approved project template.",
        check={
            "action": "draft_proposal",
            "confidence": 0.91,
            "context": {
                "template": "proposal-project",
                "deal_value": 48000,
                "data_categories": ["company_info", "deal_status"],
            },
        },
        act="sends the proposal",
        expected="require_approval",
        instead="holds the draft for the deal desk",
        done="sent",
        draft={
            "kind": "email",
            "to": "Priya Raman <priya.raman@northwind.example>",
            "subject": "Warehouse analytics rollout: our proposal",
            "body": "Hi Priya,\n\nAs promised, our proposal for the warehouse analytics "
            "rollout is attached: three warehouses in twelve weeks, a fixed fee of EUR 48,000, "
            "and the team that would do the work.\n\nWould a short call on Thursday help "
            "before your board meeting?\n\nBest regards,\nAcme Consulting",
            "attachments": ["Northwind - warehouse analytics rollout - proposal.pdf"],
        },
        summary="Priya asked for a proposal she can take to the board; assembled from the "
        "approved project template, EUR 48,000.",
    ),
    Step(
        title="First follow-up on the proposal",
        wants="Three days after the approved proposal went out, the agent e-mails Priya the "
        "standard check-in.",
        check={
            "action": "send_follow_up",
            "confidence": 0.93,
            "context": {
                "channel": "email",
                "template": "check-in-after-proposal",
                "data_categories": ["contact_details", "deal_status"],
                "deal_stage": "proposal",
            },
        },
        act="sends the check-in e-mail",
        expected="allow",
        done="sent",
    ),
    Step(
        title="A warmer follow-up, with a personal detail",
        wants="Priya mentioned on the call that her back surgery delayed the project. The "
        "agent wants to open its next e-mail by wishing her a good recovery.",
        check={
            "action": "send_follow_up",
            "confidence": 0.88,
            "context": {
                "channel": "email",
                "template": "check-in-after-proposal",
                "data_categories": ["contact_details", "health"],
            },
        },
        act="sends the e-mail",
        expected="deny",
        instead="drops the personal detail; health data never goes into an e-mail",
    ),
    Step(
        title="Offer the standard early-signature discount",
        wants="Northwind's budget closes at the end of the month. The agent offers the "
        "standard 5% for a signature before then.",
        check={
            "action": "offer_discount",
            "confidence": 0.9,
            "context": {"discount_pct": 5, "deal_value": 48000, "deal_stage": "negotiation"},
        },
        act="offers 5% for a signature by the 30th",
        expected="allow",
        done="offered 5%",
    ),
    Step(
        title="Go further on the discount",
        wants="The account manager's note says Northwind could get 12% for a two-year "
        "commitment. The agent wants to offer it.",
        check={
            "action": "offer_discount",
            "confidence": 0.9,
            "context": {"discount_pct": 12, "deal_value": 96000, "deal_stage": "negotiation"},
        },
        act="offers 12% for two years",
        expected="require_approval",
        instead="keeps the 5% offer on the table",
        done="offered 12% for two years",
        draft={
            "kind": "email",
            "to": "Priya Raman <priya.raman@northwind.example>",
            "subject": "A two-year option",
            "body": "Hi Priya,\n\nIf Northwind commits for two years, we can take 12% off "
            "the fee for both years.\n\nBest regards,\nAcme Consulting",
        },
        summary="The account manager's note says Northwind could get 12% for a two-year "
        "commitment; the agent may offer 5% alone.",
    ),
    Step(
        title="Agree to longer payment terms",
        wants="Northwind's procurement asks for payment at 90 days instead of 30. The "
        "agent wants to accept.",
        check={
            "action": "negotiate_terms",
            "confidence": 0.85,
            "context": {"data_categories": ["contract_terms"], "deal_stage": "negotiation"},
        },
        act="accepts 90-day payment terms",
        expected="deny",
        instead="tells procurement that the account manager will answer on terms",
    ),
    Step(
        title="Price two more warehouses",
        wants="Priya asks what adding the Rotterdam and Hamburg warehouses would cost. The "
        "agent wants to quote a price.",
        check={
            "action": "quote_price",
            "confidence": 0.8,
            "context": {"deal_value": 48000, "data_categories": ["pricing"]},
        },
        act="quotes the price",
        expected="escalate",
        handoff={
            "summary": "Priya asks what adding the Rotterdam and Hamburg warehouses would "
            "cost. The agent may not quote prices.",
            "intent_tags": ["pricing_question", "expansion"],
            "needs_next": "A price for two more warehouses, before the board meeting on the 28th.",
        },
    ),
    Step(
        title="Answer a question about the liability cap",
        wants="Priya replies: “Before we sign, can I talk to someone about the liability "
        "cap in your MSA?” The agent would answer her e-mail, and reports what it noticed: "
        "she asks for a person, and the question is a legal one.",
        check={
            "action": "send_follow_up",
            "confidence": 0.9,
            "signals": ["human_requested", "legal_question"],
            "context": {
                "channel": "email",
                "template": "check-in-after-proposal",
                "data_categories": ["contact_details"],
            },
        },
        act="answers the e-mail",
        expected="escalate",
        handoff={
            "summary": "Priya wants to talk to a person about the liability cap in the MSA "
            "before she signs.",
            "intent_tags": ["human_requested", "legal_question", "late_stage"],
            "needs_next": "A call with someone who can speak to the MSA's liability cap, "
            "ideally before Thursday.",
        },
    ),
    Step(
        title="Book the contract walkthrough",
        wants="To keep momentum, the agent wants to put a contract walkthrough with Priya "
        "and the account manager into both calendars for Thursday at 10:00.",
        check={
            "action": "schedule_meeting",
            "confidence": 0.92,
            "context": {"channel": "email", "data_categories": ["contact_details"]},
        },
        act="books the meeting",
        expected="deny",
        instead="leaves booking to the account manager and notes it as the next step",
    ),
    Step(
        title="Confirm the meeting the account manager booked",
        wants="The account manager booked Thursday 10:00. The agent sends Priya the "
        "confirmation with the agenda.",
        check={
            "action": "send_follow_up",
            "confidence": 0.95,
            "context": {
                "channel": "email",
                "template": "meeting-confirmation",
                "data_categories": ["contact_details", "deal_status"],
            },
        },
        act="sends the meeting confirmation",
        expected="allow",
        done="sent",
    ),
]

BATCH_TITLE = "End-of-day CRM updates, checked in one batch"
BATCH_WANTS = (
    "Before the day ends the agent checks its three pending CRM updates in one call: the next "
    "step, the stage (negotiation, 95% sure), and the deal amount it heard on the call."
)
BATCH = [
    Step(
        title="Record the next step",
        wants="",
        check={
            "action": "log_call_notes",
            "confidence": 0.95,
            "context": {"crm_fields": ["next_step"]},
        },
        act="writes the next step",
        expected="allow",
        done="logged",
    ),
    Step(
        title="Move the deal to negotiation",
        wants="",
        check={
            "action": "update_deal_stage",
            "confidence": 0.95,
            "context": {"crm_fields": ["deal_stage"], "deal_stage": "negotiation"},
        },
        act="moves D-2041 to negotiation",
        expected="allow",
        done="moved to negotiation",
    ),
    Step(
        title="Change the deal amount",
        wants="",
        check={
            "action": "log_call_notes",
            "confidence": 0.9,
            "context": {"crm_fields": ["activity_log", "amount"]},
        },
        act="writes the new amount",
        expected="deny",
        instead="leaves the amount to the account manager",
    ),
]


class WalkError(Exception):
    """The walk cannot go on: the message says why."""


class Unavailable(Exception):
    """503: the decision could not be given; the agent treats it as deny."""


class Malformed(Exception):
    """400 or 413: the request was refused; `fields` names each bad input."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message)
        self.fields = fields


class Refused(Exception):
    """404, 409 or 422 from the human loop: a submission or report the server refused."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} ({status} {code})")
        self.status = status


@dataclass
class Tally:
    checks: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    malformed: int = 0
    unavailable: int = 0
    refused: int = 0
    approvals: dict[str, int] = field(default_factory=dict)  # by how they ended
    still_waiting: list[str] = field(default_factory=list)
    handoffs: int = 0
    outcomes: int = 0


class Client:
    """A thin client for the agent API: one request, with the contract's error handling."""

    def __init__(self, url: str, key: str, timeout: float) -> None:
        self.url, self.key, self.timeout = url.rstrip("/"), key, timeout

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body)

    def get(self, path: str) -> dict[str, Any]:
        return self.request("GET", path)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        for _attempt in range(MAX_RETRIES + 1):
            status, headers, answer = self._send(method, path, body)
            if status in (200, 201):  # 201: created; 200: the same submission again
                return answer
            error = answer.get("error")
            error = error if isinstance(error, dict) else {}
            message = error.get("message") or f"HTTP {status}"
            if status == 429:
                wait = retry_after(headers.get("Retry-After"))
                print(f"     (429: {message} Waiting {wait:g} s, then trying again.)")
                time.sleep(wait)
                continue
            if status == 401:
                raise WalkError(f"The agent key was refused (401): {message}\n{KEY_HELP}.")
            if status in (400, 413):
                raise Malformed(message, error.get("fields") or {})
            if status == 503:
                raise Unavailable(message)
            if status in (404, 409, 422) and path != "/api/v1/check":
                raise Refused(status, str(error.get("code") or ""), message)
            raise WalkError(f"Unexpected answer from {self.url}{path}: HTTP {status}: {message}")
        raise WalkError(f"Still rate limited after {MAX_RETRIES} retries; try again later.")

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None
    ) -> tuple[int, Any, dict[str, Any]]:
        # The scheme is checked to be http(s) when the arguments are read.
        request = urllib.request.Request(  # noqa: S310
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, raw = exc.code, exc.headers, exc.read()
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise WalkError(
                f"Cannot reach Mandate at {self.url}: {reason}.\n"
                "Is the server running? Start it with bin/run, or pass --url (or MANDATE_URL)."
            ) from exc
        try:
            answer = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError as exc:
            raise WalkError(
                f"{self.url}{path} answered HTTP {status} with something other than JSON: "
                "is --url the address of a Mandate server?"
            ) from exc
        if not isinstance(answer, dict):
            raise WalkError(f"{self.url}{path} answered HTTP {status} with unexpected JSON.")
        return status, headers, answer


def retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); 1 if absent."""
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def say(indent: str, label: str | None, text: str) -> None:
    """One labelled entry, wrapped under its own column."""
    head = indent if label is None else f"{indent}{label:<12} "
    print(
        textwrap.fill(text, WIDTH, initial_indent=head, subsequent_indent=" " * len(head)),
        flush=True,
    )


def listing(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def when(value: Any) -> str:
    """An API timestamp as a short UTC time, with how far away it is."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text or "no due time"
    minutes = round((moment - datetime.now(timezone.utc)).total_seconds() / 60)
    if minutes < 0:
        away = f"{-minutes} min ago"
    elif minutes < 120:
        away = f"in {minutes} min"
    else:
        away = f"in {minutes / 60:.0f} h"
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC ({away})"


def next_move(step: Step, decision: str, obligations: dict[str, Any]) -> str:
    """What the agent does given the decision: acts, stops, asks approval, hands over."""
    if decision == "allow":
        return f"ACTS: {step.act}, within the obligations."
    if decision == "require_approval":
        team = obligations.get("approver_team") or "the policy's approvers"
        window = obligations.get("expires_after_hours")
        expiry = f" within {window} h" if window else ""
        line = (
            f"ASKS APPROVAL: does not act; submits the draft to {team} "
            f"(POST /api/v1/approvals) and acts only if a person approves it{expiry}"
        )
        return line + (f"; meanwhile {step.instead}." if step.instead else ".")
    if decision == "escalate":
        team = obligations.get("route_to_team") or "a person"
        minutes = obligations.get("respond_within_minutes")
        due = f", who answers within {minutes} minutes" if minutes else ""
        return (
            f"HANDS TO A PERSON: stops, and passes the conversation with its summary to "
            f"{team} (POST /api/v1/handoffs){due}."
        )
    line = "STOPS: does not act"
    return line + (f"; {step.instead}." if step.instead else ".")


def show_answer(step: Step, answer: dict[str, Any], tally: Tally, indent: str = "     ") -> None:
    decision = str(answer.get("decision"))
    obligations = answer.get("obligations") or {}
    tally.checks += 1
    tally.decisions[decision] = tally.decisions.get(decision, 0) + 1
    print(
        f"{indent}{step.check['action']} -> {decision}   {answer.get('decision_id')}"
        f"   request {answer.get('request_id')}"
    )
    for number, reason in enumerate(answer.get("reasons") or []):
        label = "reasons" if number == 0 else ""
        say(indent, label, f"{reason.get('code')}: {reason.get('message')}")
    if obligations:
        shown = "; ".join(f"{name}: {listing(value)}" for name, value in obligations.items())
        say(indent, "obligations", shown)
    say(indent, "next", next_move(step, decision, obligations))
    if decision != step.expected:
        say(
            indent,
            "",
            f"(this walk expected {step.expected} here: the active policy, the kill switch "
            "or the agent's status has changed)",
        )


def show_refusal(step: Step, exc: Exception, tally: Tally, indent: str = "     ") -> None:
    if isinstance(exc, Malformed):
        tally.malformed += 1
        print(f"{indent}{step.check['action']} -> refused as malformed (400): {exc}")
        for name, problem in exc.fields.items():
            say(indent, "", f"{name}: {problem}")
        say(indent, "next", "STOPS: a refused check is no permission to act.")
    else:
        tally.unavailable += 1
        print(f"{indent}{step.check['action']} -> unavailable (503): {exc}")
        say(indent, "next", "STOPS: an unavailable decision counts as deny.")


class Loop:
    """What the agent does after each answer: report what it did, submit a draft and wait
    for a person, or hand the conversation over."""

    def __init__(self, client: Client, run_id: str, wait: float, tally: Tally) -> None:
        self.client, self.run_id, self.wait, self.tally = client, run_id, wait, tally

    def follow(self, step: Step, answer: dict[str, Any], number: str, indent: str) -> None:
        decision, decision_id = answer.get("decision"), str(answer.get("decision_id"))
        try:
            if decision == "allow":
                self.report(decision_id, True, step.done, indent)
            elif decision == "require_approval":
                self.ask(step, decision_id, number, indent)
            elif decision == "escalate":
                self.hand_off(step, decision_id, number, indent)
        except Unavailable as exc:
            say(indent, "unavailable", f"{exc} (503); the agent does not act on this decision.")
        except (Malformed, Refused) as exc:
            # A refused submission or report is the agent's bug: it never acts on a guess.
            self.tally.refused += 1
            say(indent, "refused", f"{exc}; the agent does not act on this decision.")
            for name, problem in getattr(exc, "fields", {}).items():
                say(indent, "", f"{name}: {problem}")

    def report(self, decision_id: str, executed: bool, detail: str, indent: str) -> None:
        self.client.post(
            f"/api/v1/decisions/{urllib.parse.quote(decision_id)}/outcome",
            {"executed": executed, "detail": detail},
        )
        self.tally.outcomes += 1
        what = "executed" if executed else "not executed"
        say(indent, "reported", f"{what}: {detail} (POST /api/v1/decisions/…/outcome)")

    def ask(self, step: Step, decision_id: str, number: str, indent: str) -> None:
        draft = step.draft or {
            "kind": "action",
            "action": step.check["action"],
            "description": step.act,
        }
        context = {
            "summary": step.summary or step.wants,
            "intent_tags": [step.check["action"]],
            "deal": DEAL_PACKAGE,
            "thread": THREAD[:1],
        }
        submitted = self.client.post(
            "/api/v1/approvals",
            {
                "decision_id": decision_id,
                "draft": draft,
                "context": context,
                "idempotency_key": f"{self.run_id}-{number}",
            },
        )
        approval_id = str(submitted.get("id"))
        team = submitted.get("approver_team")
        inbox = team or "the owners' inbox (no approver team named)"
        say(indent, "submitted", f"{approval_id} to {inbox}, due {when(submitted.get('due_at'))}")
        say(indent, "", f"waiting for a person in {inbox}… (up to {self.wait:g} s)")
        status = self.poll(approval_id)
        state = str(status.get("status"))
        who = status.get("decided_by") or "nobody"
        comment = f": “{status['comment']}”" if status.get("comment") else ""
        if state in ("approved", "edited"):
            self.tally.approvals[state] = self.tally.approvals.get(state, 0) + 1
            final = status.get("final_draft") if state == "edited" else None
            if final:
                changed = sorted(k for k in set(draft) | set(final) if draft.get(k) != final.get(k))
                say(indent, "edited", f"by {who}{comment}; changed: {', '.join(changed)}")
                say(indent, "acts", f"ACTS on the final draft as {who} approved it: {step.act}.")
                self.report(decision_id, True, f"{step.done} as edited", indent)
            else:
                say(indent, "approved", f"by {who}{comment}")
                say(indent, "acts", f"ACTS on the draft as approved: {step.act}.")
                self.report(decision_id, True, step.done, indent)
        elif state in ("rejected", "expired"):
            self.tally.approvals[state] = self.tally.approvals.get(state, 0) + 1
            if state == "rejected":
                say(indent, "rejected", f"by {who}{comment}")
                detail = "rejected" + (f": {status['comment']}" if comment else "")
            else:
                say(indent, "expired", "nobody decided within the approval window")
                detail = "the approval expired"
            say(indent, "acts", f"DOES NOT ACT; {step.instead or 'the draft is dropped'}.")
            self.report(decision_id, False, detail[:1000], indent)
        else:
            self.tally.still_waiting.append(approval_id)
            say(
                indent,
                "still",
                f"pending after {self.wait:g} s: the draft stays in the inbox and the agent "
                "does not act on it meanwhile (more time: --wait).",
            )

    def poll(self, approval_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.wait
        path = f"/api/v1/approvals/{urllib.parse.quote(approval_id)}"
        while True:
            status = self.client.get(path)
            left = deadline - time.monotonic()
            if status.get("status") != "pending" or left <= 0:
                return status
            time.sleep(min(POLL_SECONDS, left))

    def hand_off(self, step: Step, decision_id: str, number: str, indent: str) -> None:
        package = {
            "summary": step.wants,
            "intent_tags": [step.check["action"]],
            "needs_next": "A person decides how to answer.",
            **step.handoff,
            "qualification": QUALIFICATION,
            "thread": THREAD,
            "deal": DEAL_PACKAGE,
        }
        handed = self.client.post(
            "/api/v1/handoffs",
            {
                "decision_id": decision_id,
                "context": package,
                "idempotency_key": f"{self.run_id}-{number}",
            },
        )
        self.tally.handoffs += 1
        team = handed.get("team") or "the owners (no team named)"
        assignee = f", assigned to {handed['assignee']}" if handed.get("assignee") else ""
        say(
            indent,
            "handed off",
            f"{handed.get('id')} to {team}{assignee}, due {when(handed.get('due_at'))}; "
            "the person reads the summary, qualification and thread before answering.",
        )


def walk(client: Client, run_id: str, wait: float = DEFAULT_APPROVAL_WAIT) -> Tally:
    tally = Tally()
    loop = Loop(client, run_id, wait, tally)
    print(
        "Deal D-2041 · Warehouse analytics rollout · Northwind Logistics\n"
        "Contact: Priya Raman, Head of Operations · agent: follow-up-copilot\n"
    )
    total = len(STEPS) + 1
    for number, step in enumerate(STEPS, start=1):
        print(f"[{number:02d}/{total}] {step.title}")
        say("     ", None, step.wants)
        body = dict(step.check, subject=DEAL, request_id=f"{run_id}-{number:02d}")
        try:
            answer = client.post("/api/v1/check", body)
        except (Malformed, Unavailable) as exc:
            show_refusal(step, exc, tally)
        else:
            if not tally.checks:
                policy, agent = answer.get("policy") or {}, answer.get("agent") or {}
                print(
                    f"     (answered for agent {agent.get('name')!r} under policy "
                    f"{policy.get('name')!r}, version {policy.get('version')})"
                )
            show_answer(step, answer, tally)
            loop.follow(step, answer, f"{number:02d}", "     ")
        print()

    print(f"[{total:02d}/{total}] {BATCH_TITLE}")
    say("     ", None, BATCH_WANTS)
    letters = string.ascii_lowercase
    checks = [
        dict(item.check, subject=DEAL, request_id=f"{run_id}-{total:02d}{letters[i]}")
        for i, item in enumerate(BATCH)
    ]
    try:
        results = client.post("/api/v1/check/batch", {"checks": checks}).get("results")
    except (Malformed, Unavailable) as exc:
        for item in BATCH:
            show_refusal(item, exc, tally, indent="       ")
    else:
        if not isinstance(results, list) or len(results) != len(BATCH):
            raise WalkError("The batch answer does not hold one result per check.")
        for i, item in enumerate(BATCH):
            print(f"     {letters[i]}) {item.title}")
            show_answer(item, results[i], tally, indent="       ")
            loop.follow(item, results[i], f"{total:02d}{letters[i]}", "       ")
    print()
    return tally


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Walk a deal through Mandate's check API as the demo follow-up copilot."
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("MANDATE_URL") or DEFAULT_URL,
        help=f"Mandate's address (env MANDATE_URL; default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--key",
        default=os.environ.get("MANDATE_AGENT_KEY"),
        help=f"the agent key (env MANDATE_AGENT_KEY); {KEY_HELP}",
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each answer"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_APPROVAL_WAIT,
        help="seconds to wait for a person to decide each draft submitted for approval "
        f"(default {DEFAULT_APPROVAL_WAIT:g}; 0: look once and go on)",
    )
    args = parser.parse_args(argv)
    if not args.key:
        parser.error(f"an agent key is required: --key or MANDATE_AGENT_KEY ({KEY_HELP})")
    if urllib.parse.urlsplit(args.url).scheme not in ("http", "https"):
        parser.error(f"--url must start with http:// or https:// (got {args.url!r})")
    if args.wait < 0:
        parser.error("--wait must be 0 or more seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # reasons use typographic quotes
    args = parse_args(argv)
    run_id = f"walk-{uuid.uuid4().hex[:8]}"
    try:
        tally = walk(Client(args.url, args.key, args.timeout), run_id, args.wait)
    except WalkError as exc:
        sys.stdout.flush()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seen = ", ".join(f"{d} {tally.decisions.get(d, 0)}" for d in DECISIONS)
    print(f"Done: {tally.checks} checks answered and recorded ({seen}).")
    ended = ", ".join(
        f"{state} {tally.approvals.get(state, 0)}"
        for state in ("approved", "edited", "rejected", "expired")
    )
    submitted = sum(tally.approvals.values()) + len(tally.still_waiting)
    print(
        f"Human loop: {submitted} drafts submitted ({ended}, "
        f"still waiting {len(tally.still_waiting)}), {tally.handoffs} conversations handed "
        f"off, {tally.outcomes} outcomes reported."
    )
    if tally.still_waiting:
        print(
            f"Still waiting for a person: {', '.join(tally.still_waiting)}. The agent acts on "
            "them only once they are approved."
        )
    missing = [d for d in DECISIONS if not tally.decisions.get(d)]
    if missing:
        print(f"Note: no {' or '.join(missing)} this time; the walk is meant to show all four.")
    if tally.unavailable:
        print(f"{tally.unavailable} checks could not be decided (503) and counted as deny.")
    if tally.malformed:
        print(f"error: {tally.malformed} checks were refused as malformed.", file=sys.stderr)
        return 1
    if tally.refused:
        print(f"error: {tally.refused} submissions or reports were refused.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
