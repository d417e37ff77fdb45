"""The demo organization's human loop: what the follow-up copilot put before people over the
last weeks (approved, edited, rejected, expired, still waiting), the conversations it handed
over, and what it reported doing. Three weeks of proposal drafts the deal desk approved
almost untouched are the record the trust page turns into a recommendation.

Decisions go through the check path (the engine over the active version with the agent's
facts, recorded as the check API records them) and approvals, handoffs and outcomes through
the humans services; only the clock is then moved back, with queryset updates. Each decision
is evaluated under the version that was active at its time (the policy demo dates its
history), so an older decision cites the first version and its content hash."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import Agent, AgentKey
from apps.agents.services import agent_key_create
from apps.checks.grants import Grant, grant_from_key
from apps.checks.models import Decision
from apps.checks.parsing import parse_check
from apps.checks.policy_cache import compiled_version
from apps.checks.services import decision_row, decisions_record
from apps.engine.evaluate import decide
from apps.engine.types import AgentFacts, CompiledPolicy
from apps.humans import services
from apps.humans.constants import DEFAULT_HANDOFF_MINUTES, Verdict
from apps.humans.models import Approval, Handoff, Outcome
from apps.organizations.models import Organization
from apps.policies.models import PolicyVersion
from apps.policies.selectors import policy_active_version

AGENT = "follow-up-copilot"
MARK = "demo-"  # the idempotency keys of the demo's submissions

DEALS = [
    ("D-1987", "Contoso Retail", "Loyalty analytics retainer", 36000, "proposal-retainer"),
    ("D-1994", "Fabrikam Health", "Claims dashboard rebuild", 52000, "proposal-project"),
    ("D-2003", "Tailspin Toys", "Demand forecasting pilot", 18000, "proposal-project"),
    ("D-2009", "Litware", "Data platform retainer", 60000, "proposal-retainer"),
    ("D-2012", "Adventure Works", "Store traffic analytics", 27000, "proposal-project"),
    ("D-2017", "Wingtip Travel", "Booking funnel review", 14000, "proposal-project"),
    ("D-2023", "Proseware", "Monthly reporting retainer", 24000, "proposal-retainer"),
    ("D-2028", "Coho Vineyard", "Distributor analytics", 31000, "proposal-project"),
]
PEOPLE = {
    "Contoso Retail": ("Maya Chen", "VP Customer Insights"),
    "Fabrikam Health": ("Jonas Berg", "Head of Claims Operations"),
    "Tailspin Toys": ("Ana Ruiz", "Supply Chain Director"),
    "Litware": ("Tom Okafor", "CTO"),
    "Adventure Works": ("Priti Shah", "Retail Operations Lead"),
    "Wingtip Travel": ("Lena Vogel", "Head of E-commerce"),
    "Proseware": ("Sam Howard", "Finance Director"),
    "Coho Vineyard": ("Elena Rossi", "Commercial Director"),
}
# When each of the 24 decided proposal drafts was written (days ago) and how the deal desk
# decided it: all approved as written but one, whose payment terms were corrected.
PROPOSAL_HISTORY: list[float] = [
    26,
    25,
    24,
    23,
    22,
    21,
    19,
    18,
    17,
    16,
    15,
    14,
    12,
    11,
    10,
    9,
    8,
    7,
]
PROPOSAL_HISTORY += [6, 5, 4.5, 3, 2, 1.5]
EDITED_AT = 9


def demo_human_loop(*, organization: Organization, users: dict[str, User]) -> None:
    """Create the demo's approvals, handoffs and outcomes once; later runs change nothing."""
    agent = (
        Agent.objects.filter(organization=organization, key=AGENT).select_related("policy").first()
    )
    if agent is None or agent.policy is None:
        return
    if Approval.objects.filter(agent=agent, idempotency_key__startswith=MARK).exists():
        return
    version = policy_active_version(policy=agent.policy)
    if version is None:
        return
    Loop(agent, version, users).run()


class Loop:
    def __init__(self, agent: Agent, version: PolicyVersion, users: dict[str, User]) -> None:
        self.agent, self.users = agent, users
        self.now = timezone.now().replace(microsecond=0)
        # The versions that were in force, newest first: a decision takes the first one
        # activated before it.
        self.versions = list(
            PolicyVersion.objects.filter(policy_id=version.policy_id, activated_at__isnull=False)
            .exclude(pk=version.pk)
            .order_by("-activated_at")
        )
        self.versions.insert(0, version)
        key = AgentKey.objects.filter(agent=agent, revoked_at__isnull=True).order_by("pk").first()
        if key is None:  # the key the agent has worked with all along
            key = agent_key_create(agent=agent, by=users["olivia"]).key
            AgentKey.objects.filter(pk=key.pk).update(created_at=self.now - timedelta(days=40))
        self.key = key
        self.count = 0

    # The check path, with the clock moved back.

    def version_at(self, at: datetime) -> PolicyVersion:
        for version in self.versions:
            if version.activated_at is not None and version.activated_at <= at:
                return version
        return self.versions[-1]

    def check(self, body: dict[str, Any], at: datetime) -> Decision:
        self.count += 1
        body = {**body, "request_id": f"{MARK}{self.count:03d}"}
        request, request_id = parse_check(body)
        version = self.version_at(at)
        policy: CompiledPolicy = compiled_version(version.pk, version.content_hash)
        grant: Grant = grant_from_key(
            self.key, active_version_id=version.pk, active_version_hash=version.content_hash
        )
        facts = AgentFacts(
            suspended=grant.suspended,
            autonomy_paused=grant.autonomy_paused,
            team=grant.agent_team,
        )
        answer = decide(policy, facts, request)
        row = decision_row(
            grant=grant,
            body=body,
            outcome=answer,
            policy=policy,
            version_id=version.pk,
            request_id=request_id,
            evaluated_at=at,
            evaluation_us=38,
        )
        return decisions_record(rows=[row])[0]

    def submit(
        self,
        decision: Decision,
        draft: dict[str, Any],
        context: dict[str, Any],
        *,
        hours: float = 48,
    ) -> Approval:
        approval, _ = services.approval_submit(
            agent=self.agent,
            decision_id=decision.decision_id,
            draft=draft,
            context=context,
            idempotency_key=f"{MARK}{decision.request_id}",
        )
        created = decision.evaluated_at + timedelta(seconds=2)
        Approval.objects.filter(pk=approval.pk).update(
            created_at=created, due_at=created + timedelta(hours=hours)
        )
        approval.refresh_from_db()
        return approval

    def settle(
        self, approval: Approval, by: str, verdict: str, after: timedelta, **kwargs: Any
    ) -> Approval:
        return services.approval_decide(
            approval=approval,
            by=self.users[by],
            verdict=verdict,
            now=approval.created_at + after,
            **kwargs,
        )

    def expire(self, approval: Approval) -> None:
        services.approvals_expire_due(now=approval.due_at)

    def report(self, decision: Decision, executed: bool, detail: str, at: datetime) -> None:
        outcome, _ = services.decision_outcome_report(
            agent=self.agent, decision_id=decision.decision_id, executed=executed, detail=detail
        )
        Outcome.objects.filter(pk=outcome.pk).update(reported_at=at)

    def hand_off(self, decision: Decision, context: dict[str, Any]) -> Handoff:
        handoff, _ = services.handoff_create(
            agent=self.agent,
            decision_id=decision.decision_id,
            context=context,
            idempotency_key=f"{MARK}{decision.request_id}",
        )
        minutes = decision.obligations.get("respond_within_minutes") or DEFAULT_HANDOFF_MINUTES
        created = decision.evaluated_at + timedelta(seconds=2)
        Handoff.objects.filter(pk=handoff.pk).update(
            created_at=created, due_at=created + timedelta(minutes=minutes)
        )
        handoff.refresh_from_db()
        return handoff

    def ago(self, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours, minutes=minutes)

    def workday(self, days_ago: float, hour: int) -> datetime:
        """A time on a past working day, so the history reads like office hours."""
        day = (self.now - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)
        return day + timedelta(minutes=(int(days_ago * 37) % 50))

    def run(self) -> None:
        self.proposals()
        self.discounts()
        self.stage_changes()
        self.autonomous_work()
        self.waiting()
        self.handoff_history()
        self.handoffs()

    # The record.

    def proposals(self) -> None:
        """24 proposal drafts decided by the deal desk, one corrected; one nobody read."""
        for number, days_ago in enumerate(PROPOSAL_HISTORY):
            deal, company, title, value, template = DEALS[number % len(DEALS)]
            at = self.workday(days_ago, 9 + number % 8)
            decision = self.check(_proposal_check(deal, value, template), at)
            approval = self.submit(
                decision,
                _proposal_draft(company, title, value),
                _proposal_context(deal, company, title, value),
            )
            if days_ago == EDITED_AT:
                draft = dict(approval.draft)
                draft["body"] = draft["body"].replace(
                    "Payment: 50% on signature, 50% on delivery.",
                    "Payment: 30% on signature, 70% on delivery, as agreed on the call.",
                )
                self.settle(
                    approval,
                    "sam",
                    Verdict.EDIT,
                    timedelta(hours=2),
                    final_draft=draft,
                    comment="Payment split as agreed with their finance team.",
                )
                detail = "sent as edited"
            else:
                self.settle(approval, "sam", Verdict.APPROVE, timedelta(minutes=35 + number * 7))
                detail = "sent"
            self.report(decision, True, detail, at + timedelta(hours=3))
        at = self.workday(13, 16)
        decision = self.check(_proposal_check("D-2009", 60000, "proposal-retainer"), at)
        approval = self.submit(
            decision,
            _proposal_draft("Litware", "Data platform extension", 60000),
            _proposal_context("D-2009", "Litware", "Data platform extension", 60000),
        )
        self.expire(approval)
        self.report(decision, False, "the approval expired", approval.due_at)

    def discounts(self) -> None:
        """Discounts above the autonomous 5%: the deal desk approves some, not others."""
        cases = [
            (20, 8, Verdict.APPROVE, "", "Coho Vineyard"),
            (16, 10, Verdict.REJECT, "We stay at 8% for a one-year term.", "Proseware"),
            (11, 7, Verdict.APPROVE, "", "Adventure Works"),
            (
                4,
                12,
                Verdict.REJECT,
                "Not above 10% for one year. Offer 8% now and 12% only with the two-year "
                "commitment.",
                "Fabrikam Health",
            ),
        ]
        for days_ago, pct, verdict, comment, company in cases:
            at = self.workday(days_ago, 11)
            decision = self.check(_discount_check(pct), at)
            approval = self.submit(
                decision,
                _discount_draft(company, pct),
                _discount_context(company, pct),
            )
            self.settle(approval, "sam", verdict, timedelta(hours=1), comment=comment)
            executed = verdict == Verdict.APPROVE
            detail = f"offered {pct}%" if executed else "rejected by the deal desk"
            self.report(decision, executed, detail, at + timedelta(hours=2))

    def stage_changes(self) -> None:
        """Stage changes below the 0.9 confidence the policy wants; the policy names no
        approver, so the agent's own team (sales leadership) decides. One waited too long."""
        for days_ago, stage, company, expires in [
            (18, "negotiation", "Litware", False),
            (8, "proposal", "Wingtip Travel", False),
            (3, "closed_won", "Coho Vineyard", True),
        ]:
            at = self.workday(days_ago, 15)
            decision = self.check(_stage_check(stage), at)
            approval = self.submit(
                decision, _stage_draft(company, stage), _stage_context(company, stage)
            )
            if expires:
                self.expire(approval)
                self.report(decision, False, "the approval expired", approval.due_at)
            else:
                self.settle(approval, "leo", Verdict.APPROVE, timedelta(hours=5))
                self.report(decision, True, f"moved to {stage}", at + timedelta(hours=6))

    def autonomous_work(self) -> None:
        """What the agent did alone, and said it did."""
        for days_ago in (22, 17, 13, 9, 6, 2, 1):
            at = self.workday(days_ago, 10)
            decision = self.check(_follow_up_check(), at)
            self.report(decision, True, "sent", at + timedelta(minutes=2))
            notes = self.check(_notes_check(), at + timedelta(hours=4))
            self.report(notes, True, "logged", at + timedelta(hours=4, minutes=1))

    # What is waiting for people now.

    def waiting(self) -> None:
        deal, company, _title, value, template = DEALS[0]
        decision = self.check(_proposal_check(deal, value, template), self.ago(hours=3))
        self.submit(
            decision,
            _proposal_draft(company, "Loyalty analytics, phase two", 42000),
            _proposal_context(deal, company, "Loyalty analytics, phase two", 42000),
        )
        # Nearly out of time: two hours of the 48 left.
        decision = self.check(_discount_check(10), self.ago(hours=46))
        self.submit(
            decision, _discount_draft("Tailspin Toys", 10), _discount_context("Tailspin Toys", 10)
        )

        # For sales leadership, the agent's own team: stage changes it is not sure enough of.
        for minutes_ago, company, stage in [
            (55, "Litware", "negotiation"),
            (20, "Wingtip Travel", "qualified"),
        ]:
            decision = self.check(_stage_check(stage), self.ago(minutes=minutes_ago))
            self.submit(decision, _stage_draft(company, stage), _stage_context(company, stage))

    def handoff_history(self) -> None:
        """Three weeks of handoffs the teams claimed and closed, some after their due time,
        for the response-times page."""
        for signal, person, context, resolution, history in HANDOFF_HISTORY:
            for days_ago, claim_after, close_after in history:
                at = self.workday(days_ago, 14)
                handoff = self.hand_off(self.check(_signal_check([signal]), at), context())
                by = self.users[person]
                services.handoff_claim(handoff=handoff, by=by)
                services.handoff_close(handoff=handoff, by=by, resolution=resolution)
                Handoff.objects.filter(pk=handoff.pk).update(
                    claimed_at=handoff.created_at + timedelta(minutes=claim_after),
                    closed_at=handoff.created_at + timedelta(minutes=close_after),
                )

    def handoffs(self) -> None:
        # Open, due in 25 minutes: a pricing question for the deal desk.
        decision = self.check(_signal_check(["pricing_question"]), self.ago(minutes=5))
        self.hand_off(decision, _handoff_pricing())
        # Open and overdue: the prospect asked for a person 40 minutes ago.
        decision = self.check(_signal_check(["human_requested"]), self.ago(minutes=40))
        self.hand_off(decision, _handoff_human())
        # Claimed by solutions engineering.
        decision = self.check(_signal_check(["technical_objection"]), self.ago(minutes=50))
        handoff = self.hand_off(decision, _handoff_technical())
        services.handoff_claim(handoff=handoff, by=self.users["nina"])
        Handoff.objects.filter(pk=handoff.pk).update(claimed_at=self.ago(minutes=38))
        # Handed back to the agent with a next step.
        decision = self.check(_quote_check(), self.ago(days=1, hours=3))
        handoff = self.hand_off(decision, _handoff_quote())
        services.handoff_close(
            handoff=handoff,
            by=self.users["sam"],
            resolution="Quoted EUR 9,500 per extra site on the phone; Ana agreed.",
            follow_up="Send the revised quote from the CRM with the check-in template, and "
            "book the kick-off for next week.",
        )
        Handoff.objects.filter(pk=handoff.pk).update(
            claimed_at=self.ago(days=1, hours=2, minutes=40),
            closed_at=self.ago(days=1, hours=2),
        )
        # Resolved by sales leadership.
        decision = self.check(_signal_check(["buying_intent"]), self.ago(days=2, hours=5))
        handoff = self.hand_off(decision, _handoff_buying())
        services.handoff_claim(handoff=handoff, by=self.users["leo"])
        services.handoff_close(
            handoff=handoff,
            by=self.users["leo"],
            resolution="Called Tom; they sign the retainer on Friday.",
        )
        Handoff.objects.filter(pk=handoff.pk).update(
            claimed_at=self.ago(days=2, hours=4, minutes=52),
            closed_at=self.ago(days=2, hours=4, minutes=20),
        )


# The checks the agent sent.


def _proposal_check(deal: str, value: int, template: str) -> dict[str, Any]:
    return {
        "action": "draft_proposal",
        "confidence": 0.92,
        "context": {
            "template": template,
            "deal_value": value,
            "data_categories": ["company_info", "deal_status"],
            "deal_stage": "proposal",
        },
        "subject": {"type": "deal", "id": deal},
    }


def _discount_check(pct: int) -> dict[str, Any]:
    return {
        "action": "offer_discount",
        "confidence": 0.9,
        "context": {"discount_pct": pct, "deal_stage": "negotiation"},
    }


def _stage_check(stage: str) -> dict[str, Any]:
    return {
        "action": "update_deal_stage",
        "confidence": 0.85,
        "context": {"crm_fields": ["deal_stage"], "deal_stage": stage},
    }


def _follow_up_check() -> dict[str, Any]:
    return {
        "action": "send_follow_up",
        "confidence": 0.93,
        "context": {
            "channel": "email",
            "template": "check-in-after-proposal",
            "data_categories": ["contact_details", "deal_status"],
        },
    }


def _notes_check() -> dict[str, Any]:
    return {
        "action": "log_call_notes",
        "confidence": 0.95,
        "context": {"crm_fields": ["activity_log", "next_step"]},
    }


def _signal_check(signals: list[str]) -> dict[str, Any]:
    return {
        "action": "send_follow_up",
        "confidence": 0.88,
        "signals": signals,
        "context": {"channel": "email", "template": "check-in-after-proposal"},
    }


def _quote_check() -> dict[str, Any]:
    return {
        "action": "quote_price",
        "confidence": 0.8,
        "context": {"deal_value": 18000, "data_categories": ["pricing"]},
        "subject": {"type": "deal", "id": "D-2003"},
    }


# What people read: drafts and context packages.


def _proposal_draft(company: str, title: str, value: int) -> dict[str, Any]:
    name, _role = PEOPLE.get(company, ("there", ""))
    first = name.split()[0]
    return {
        "kind": "email",
        "to": name,
        "subject": f"{title}: our proposal",
        "body": f"Hi {first},\n\nThank you for the time on Tuesday. Attached is our proposal "
        f"for the {title.lower()}: scope, the three milestones we discussed, and the team.\n\n"
        f"Fee: EUR {value:,}. Payment: 50% on signature, 50% on delivery.\n\n"
        "Happy to walk you through it on a short call this week.\n\nBest regards,\nAcme "
        "Consulting",
        "attachments": [f"{title} - proposal.pdf"],
    }


def _proposal_context(deal: str, company: str, title: str, value: int) -> dict[str, Any]:
    name, role = PEOPLE.get(company, ("", ""))
    return {
        "summary": f"{name} ({role}, {company}) asked for a proposal for the {title.lower()} "
        f"after the discovery call; EUR {value:,} from the approved template.",
        "intent_tags": ["proposal_requested"],
        "deal": {"id": deal, "name": title, "stage": "proposal", "value": value},
        "thread": [
            {
                "from": name,
                "at": "Tuesday 14:05",
                "text": "Could you send us something we can take to the board next week?",
            },
            {"from": "Acme Consulting", "at": "Tuesday 14:20", "text": "Of course, by Friday."},
        ],
    }


def _discount_draft(company: str, pct: int) -> dict[str, Any]:
    name, _role = PEOPLE.get(company, ("there", ""))
    return {
        "kind": "email",
        "to": name,
        "subject": "Your proposal: a discount for signing this month",
        "body": f"Hi {name.split()[0]},\n\nIf you can sign before the end of the month we "
        f"can take {pct}% off the fee.\n\nBest regards,\nAcme Consulting",
    }


def _discount_context(company: str, pct: int) -> dict[str, Any]:
    return {
        "summary": f"{company}'s budget closes at month end; the agent wants to offer {pct}%, "
        "above the 5% it may offer alone.",
        "intent_tags": ["discount", "budget_deadline"],
    }


def _stage_draft(company: str, stage: str) -> dict[str, Any]:
    deal = next((d for d in DEALS if d[1] == company), DEALS[0])
    return {
        "kind": "crm_update",
        "deal": deal[0],
        "field": "deal_stage",
        "to": stage,
        "note": f"{company}: moved to {stage} after the last call.",
    }


def _stage_context(company: str, stage: str) -> dict[str, Any]:
    name, role = PEOPLE.get(company, ("", ""))
    heard, said = {
        "negotiation": (
            "asked for the contract draft",
            "Could you send the contract draft and your data processing terms?",
        ),
        "proposal": (
            "asked for a written proposal",
            "Can you put this in a proposal I can share internally?",
        ),
        "qualified": (
            "confirmed a budget and a decision before the summer",
            "We have budget for this and want to decide before June.",
        ),
        "closed_won": (
            "said they will sign this week",
            "We're ready. Send the final version and we'll sign this week.",
        ),
    }[stage]
    return {
        "summary": f"{name} ({role}, {company}) {heard}; the agent would move the deal to "
        f"{stage}, 85% sure (the policy wants 90% to do it alone).",
        "intent_tags": ["stage_change", stage],
        "thread": [{"from": name, "at": "last call", "text": said}],
    }


def _handoff_pricing() -> dict[str, Any]:
    return {
        "summary": "Maya Chen (Contoso Retail) asks what phase two would cost if they add "
        "two more regions. The agent may not quote prices.",
        "intent_tags": ["pricing_question", "expansion"],
        "qualification": {
            "budget": "approved for phase one; phase two needs a number for Q3 planning",
            "authority": "Maya decides with the CFO",
            "need": "loyalty analytics in five regions instead of three",
            "timeline": "decision by the end of the month",
        },
        "thread": [
            {
                "from": "Maya Chen",
                "at": "09:12",
                "text": "If we add the Nordics and Benelux, roughly what would phase two be?",
            }
        ],
        "needs_next": "A price range for two more regions, today if possible.",
        "deal": {"id": "D-1987", "name": "Loyalty analytics retainer", "value": 36000},
    }


def _handoff_human() -> dict[str, Any]:
    return {
        "summary": "Jonas Berg (Fabrikam Health) wants to talk to a person before he "
        "recommends the claims dashboard to his board.",
        "intent_tags": ["human_requested", "late_stage"],
        "qualification": {
            "budget": "EUR 52,000 approved",
            "authority": "Jonas recommends, the board signs",
            "need": "claims backlog visible daily",
            "timeline": "board meeting on Thursday",
        },
        "thread": [
            {"from": "Jonas Berg", "at": "08:40", "text": "Can someone call me today?"},
            {
                "from": "Acme Consulting (agent)",
                "at": "08:41",
                "text": "Of course — a colleague will call you shortly.",
            },
        ],
        "needs_next": "A call today; he wants to hear who would lead the project.",
        "deal": {"id": "D-1994", "name": "Claims dashboard rebuild", "value": 52000},
    }


def _handoff_technical() -> dict[str, Any]:
    return {
        "summary": "Litware's CTO doubts the platform can read their on-premise Oracle "
        "warehouse without a VPN.",
        "intent_tags": ["technical_objection", "security"],
        "qualification": {
            "budget": "EUR 60,000 a year",
            "authority": "the CTO",
            "need": "one data platform for finance and operations",
            "timeline": "pilot in Q3",
        },
        "thread": [
            {
                "from": "Tom Okafor",
                "at": "10:02",
                "text": "Our warehouse never leaves the building. How would you read it?",
            }
        ],
        "needs_next": "An answer on connectivity options without a VPN, with a diagram.",
    }


def _handoff_quote() -> dict[str, Any]:
    return {
        "summary": "Ana Ruiz (Tailspin Toys) wants the forecasting pilot priced for two more "
        "distribution centres.",
        "intent_tags": ["pricing", "expansion"],
        "qualification": {
            "budget": "EUR 18,000 for the pilot; more if the pilot covers all sites",
            "authority": "Ana",
            "need": "forecasts for every distribution centre",
            "timeline": "pilot start next month",
        },
        "thread": [
            {
                "from": "Ana Ruiz",
                "at": "yesterday 11:30",
                "text": "What would it cost with Leeds and Lyon included?",
            }
        ],
        "needs_next": "A price for two extra sites.",
    }


def _handoff_buying() -> dict[str, Any]:
    return {
        "summary": "Litware asked for the contract: they want to start the retainer in two weeks.",
        "intent_tags": ["buying_intent"],
        "qualification": {
            "budget": "approved",
            "authority": "CTO and CFO",
            "need": "start before the quarter closes",
            "timeline": "two weeks",
        },
        "thread": [{"from": "Tom Okafor", "at": "Monday 16:10", "text": "Send the contract."}],
        "needs_next": "The contract, and a call with the CFO.",
    }


# Closed handoffs per trigger: who worked them, and (days ago, minutes to claim, minutes to
# close). The policy's windows: buying intent 15, pricing 30, technical 60, a person asked 5.
HANDOFF_HISTORY = [
    (
        "pricing_question",
        "sam",
        _handoff_pricing,
        "Sent the volume price list; the prospect is checking it with finance.",
        [(19, 6, 24), (16, 4, 18), (12, 9, 41), (8, 3, 14), (5, 12, 35), (3, 5, 22)],
    ),
    (
        "technical_objection",
        "nina",
        _handoff_technical,
        "Walked them through SSO and the data residency options; objection cleared.",
        [(18, 14, 50), (11, 22, 95), (6, 8, 40)],
    ),
    (
        "buying_intent",
        "leo",
        _handoff_buying,
        "Called back and agreed the next step: the order form goes out this week.",
        [(15, 3, 12), (9, 2, 9), (4, 6, 26)],
    ),
    (
        "human_requested",
        "leo",
        _handoff_human,
        "Called the prospect back; they wanted a person to confirm the contract terms.",
        [(17, 2, 4), (10, 3, 18), (2, 1, 4)],
    ),
]
