#!/usr/bin/env python3
"""Walk one deal through Mandate's check API, step by step, as a sales agent would.

The agent is the demo organization's follow-up copilot (`acme` / `follow-up-copilot`,
governed by the active version of the policy `sales-pipeline`). It works the deal
"Warehouse analytics rollout" (D-2041) with Northwind Logistics, whose head of operations,
Priya Raman, moves from a discovery call to a proposal, a discount negotiation and a
meeting. Before every action it asks `POST /api/v1/check`, prints the answer, and does
what the answer says: acts (allow), stops (deny), asks a person to approve
(require_approval) or hands the conversation to a person (escalate). At the end of the day
it checks its CRM updates in one call to `POST /api/v1/check/batch`.

Standard library only; runs with Python 3.9 or newer:

    python examples/walk_a_deal.py --key mnd_agent_…        # or MANDATE_AGENT_KEY=…
    python examples/walk_a_deal.py --url http://127.0.0.1:8000 --key …   # or MANDATE_URL=…

Errors are handled as the agent API's contract says: 401 stops the walk (the key is
wrong), 400 names the bad fields (the agent does not act), 429 waits for `Retry-After` and
tries again, 503 counts as deny. Exit status: 0 when every check was answered, 1 when the
server cannot be reached, the key is refused, or a check was refused as malformed, 2 for a
usage error.
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
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"
KEY_HELP = (
    "bin/run prints a key for follow-up-copilot; "
    "`python manage.py create_agent_key acme follow-up-copilot` makes another"
)
MAX_RETRIES = 5  # per check, on 429
MAX_WAIT_SECONDS = 30.0
WIDTH = 100  # the printed lines wrap at this width

DEAL = {"type": "deal", "id": "D-2041"}
DECISIONS = ("allow", "deny", "require_approval", "escalate")


@dataclass
class Step:
    title: str
    wants: str  # what the agent wanted to do, in a sentence
    check: dict[str, Any]  # the check request, without its request_id
    act: str  # what acting means for this step, if it is allowed
    expected: str  # what the demo policy answers (shown only when it answers otherwise)
    instead: str = ""  # what the agent does when it may not act itself


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


@dataclass
class Tally:
    checks: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    malformed: int = 0
    unavailable: int = 0


class Client:
    """A thin client for the agent API: one POST, with the contract's error handling."""

    def __init__(self, url: str, key: str, timeout: float) -> None:
        self.url, self.key, self.timeout = url.rstrip("/"), key, timeout

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        for _attempt in range(MAX_RETRIES + 1):
            status, headers, answer = self._send(path, body)
            if status == 200:
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
            raise WalkError(f"Unexpected answer from {self.url}{path}: HTTP {status}: {message}")
        raise WalkError(f"Still rate limited after {MAX_RETRIES} retries; try again later.")

    def _send(self, path: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, Any]]:
        # The scheme is checked to be http(s) when the arguments are read.
        request = urllib.request.Request(  # noqa: S310
            self.url + path,
            data=json.dumps(body).encode(),
            method="POST",
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
    print(textwrap.fill(text, WIDTH, initial_indent=head, subsequent_indent=" " * len(head)))


def listing(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


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


def walk(client: Client, run_id: str) -> Tally:
    tally = Tally()
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
    args = parser.parse_args(argv)
    if not args.key:
        parser.error(f"an agent key is required: --key or MANDATE_AGENT_KEY ({KEY_HELP})")
    if urllib.parse.urlsplit(args.url).scheme not in ("http", "https"):
        parser.error(f"--url must start with http:// or https:// (got {args.url!r})")
    return args


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # reasons use typographic quotes
    args = parse_args(argv)
    run_id = f"walk-{uuid.uuid4().hex[:8]}"
    try:
        tally = walk(Client(args.url, args.key, args.timeout), run_id)
    except WalkError as exc:
        sys.stdout.flush()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    seen = ", ".join(f"{d} {tally.decisions.get(d, 0)}" for d in DECISIONS)
    print(f"Done: {tally.checks} checks answered and recorded ({seen}).")
    missing = [d for d in DECISIONS if not tally.decisions.get(d)]
    if missing:
        print(f"Note: no {' or '.join(missing)} this time; the walk is meant to show all four.")
    if tally.unavailable:
        print(f"{tally.unavailable} checks could not be decided (503) and counted as deny.")
    if tally.malformed:
        print(f"error: {tally.malformed} checks were refused as malformed.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
