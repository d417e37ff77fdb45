"""Every kind of change writes its audit event in the change's own transaction: exactly the
events that change names, and an error just after any of them leaves nothing behind, of
the change or of its events. The table below has one case per verb the code can write; a verb written
anywhere in apps/ without a case here fails the enumeration test."""

import ast
import io
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import serializers
from django.db.models.signals import post_save
from django.utils import timezone

from apps.agents import services as agents
from apps.agents.models import Agent, AgentKey
from apps.audit import evidence, retention
from apps.audit.models import AuditEvent
from apps.catalogs import services as catalogs
from apps.catalogs.constants import CatalogKind
from apps.catalogs.models import Action, DataCategory, Signal, Template
from apps.checks.models import Decision
from apps.humans import services as humans
from apps.humans.models import Approval, Handoff, WebhookEndpoint, WebhookMessage
from apps.organizations import services as organizations
from apps.organizations.models import Invitation, Membership, Organization, Team
from apps.policies import services as policies
from apps.policies.models import Policy, PolicyVersion
from tests.conftest import SIMPLE_DOCUMENT, World, record_routed_decision
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    """`prepare` builds what the change needs (its own events do not count); `change`
    makes the change, looking everything up afresh, so that it can run again after a
    rollback; `verbs` are the events it must write, each exactly once. `per_item` marks
    a sweep that commits each item in a transaction of its own."""

    name: str
    verbs: tuple[str, ...]
    change: Callable[[World], object]
    prepare: Callable[[World], object] = lambda world: None
    per_item: bool = False


def owner(world: World):
    return world.people["owner"]


def version(world: World, number: int) -> PolicyVersion:
    return PolicyVersion.objects.get(policy__organization=world.org, number=number)


def copilot(world: World) -> Agent:
    return Agent.objects.get(organization=world.org, key="copilot")


def copilot_key(world: World) -> AgentKey:
    return AgentKey.objects.filter(agent__key="copilot", agent__organization=world.org).first()


def webhook(world: World) -> WebhookEndpoint:
    return WebhookEndpoint.objects.get(public_id=world.names["webhook"])


def approval(world: World) -> Approval:
    return Approval.objects.get(public_id=world.names["approval"])


def handoff(world: World) -> Handoff:
    return Handoff.objects.get(public_id=world.names["handoff"])


def publish_v3(world: World) -> None:
    policies.policy_version_publish(version=version(world, 3), by=world.people["reviewer"])


def approved_v4(world: World, document=SIMPLE_DOCUMENT) -> None:
    """v3 active; v4 approved, waiting to be published."""
    publish_v3(world)
    v4 = policies.policy_version_create(
        policy=version(world, 3).policy, by=world.people["author"], document=document
    )
    policies.policy_version_submit(version=v4, by=world.people["author"])
    policies.policy_version_approve(version=v4, by=world.people["reviewer"])


def with_an_approval_action(world: World) -> None:
    document = {
        **SIMPLE_DOCUMENT,
        "actions": {
            **SIMPLE_DOCUMENT["actions"],
            "draft_proposal": {"mode": "approval", "approver_team": "deal-desk"},
        },
    }
    approved_v4(world, document)
    policies.policy_version_publish(version=version(world, 4), by=world.people["reviewer"])


def scheduled_v4_then_approved_v5(world: World) -> None:
    approved_v4(world)
    policies.policy_version_publish(
        version=version(world, 4),
        by=world.people["reviewer"],
        effective_at=timezone.now() + timedelta(days=1),
    )
    v5 = policies.policy_version_create(
        policy=version(world, 3).policy, by=world.people["author"], document=SIMPLE_DOCUMENT
    )
    policies.policy_version_submit(version=v5, by=world.people["author"])
    policies.policy_version_approve(version=v5, by=world.people["reviewer"])


def routed(world: World, action: str, outcome: str) -> None:
    obligations = (
        {"approver_team": "deal-desk", "expires_after_hours": 48}
        if outcome == "require_approval"
        else {"route_to_team": "deal-desk", "respond_within_minutes": 30}
    )
    record_routed_decision(
        copilot_key(world), action=action, outcome=outcome, obligations=obligations
    )


def unrouted(world: World, action: str) -> str:
    """The newest decision on `action` that nothing was created for yet."""
    return (
        Decision.objects.filter(agent=copilot(world), action=action)
        .filter(approval__isnull=True, handoff__isnull=True)
        .latest("pk")
        .decision_id
    )


def invitation(world: World) -> Invitation:
    return Invitation.objects.get(pk=world.names["invitation"])


def aged_decisions(world: World) -> None:
    retention.organization_retention_set(organization=world.org, by=owner(world), days=30)


def later(days: int):
    return timezone.now() + timedelta(days=days)


CATALOG_VALUES = {
    CatalogKind.ACTIONS: (Action, {"key": "book_demo", "label": "Book a demo"}),
    CatalogKind.SIGNALS: (Signal, {"key": "churn_risk", "label": "Churn risk"}),
    CatalogKind.DATA_CATEGORIES: (DataCategory, {"key": "payroll", "label": "Payroll"}),
    CatalogKind.TEMPLATES: (Template, {"key": "renewal", "label": "Renewal", "body": "Hi"}),
}


def catalog_cases() -> list[Case]:
    cases = []
    for kind, (model, values) in CATALOG_VALUES.items():
        name = model._meta.model_name
        cases.append(
            Case(
                f"catalog {name} created",
                (f"catalog.{name}.created",),
                lambda w, kind=kind, values=values: catalogs.catalog_entry_create(
                    organization=w.org, by=owner(w), kind=kind, values=dict(values)
                ),
            )
        )
        cases.append(
            Case(
                f"catalog {name} updated",
                (f"catalog.{name}.updated",),
                lambda w, kind=kind, model=model, values=values: catalogs.catalog_entry_update(
                    entry=model.objects.get(organization=w.org, key=values["key"]),
                    by=owner(w),
                    kind=kind,
                    values={**values, "label": "Renamed"},
                ),
                prepare=lambda w, kind=kind, values=values: catalogs.catalog_entry_create(
                    organization=w.org, by=owner(w), kind=kind, values=dict(values)
                ),
            )
        )
    return cases


CASES = [
    # ---- the organization, its members, roles and teams
    Case(
        "organization created",
        ("organization.created", "membership.added", "catalog.defaults_installed"),
        lambda w: organizations.organization_create(name="Initech", slug="initech", by=owner(w)),
    ),
    Case(
        "membership added",
        ("membership.added",),
        lambda w: organizations.membership_add(
            organization=w.org,
            by=owner(w),
            user=type(owner(w)).objects.get(username="newcomer"),
            roles=["member"],
        ),
        prepare=lambda w: UserFactory(username="newcomer"),
    ),
    Case(
        "roles changed",
        ("membership.roles_changed",),
        lambda w: organizations.membership_set_roles(
            membership=Membership.objects.get(organization=w.org, user=w.people["member"]),
            by=owner(w),
            roles=["member", "auditor"],
        ),
    ),
    Case(
        "membership removed",
        ("membership.removed",),
        lambda w: organizations.membership_remove(
            membership=Membership.objects.get(organization=w.org, user=w.people["auditor"]),
            by=owner(w),
        ),
    ),
    Case(
        "invitation created",
        ("invitation.created",),
        lambda w: organizations.invitation_create(
            organization=w.org, by=owner(w), email="new@example.com", roles=["member"]
        ),
    ),
    Case(
        "invitation resent",
        ("invitation.resent",),
        lambda w: organizations.invitation_resend(invitation=invitation(w), by=owner(w)),
    ),
    Case(
        "invitation revoked",
        ("invitation.revoked",),
        lambda w: organizations.invitation_revoke(invitation=invitation(w), by=owner(w)),
    ),
    Case(
        "invitation accepted",
        ("membership.added", "invitation.accepted"),
        lambda w: organizations.invitation_accept(
            invitation=invitation(w), user=type(owner(w)).objects.get(username="pending")
        ),
        prepare=lambda w: UserFactory(username="pending", email="pending@example.com"),
    ),
    Case(
        "team created",
        ("team.created",),
        lambda w: organizations.team_create(organization=w.org, by=owner(w), key="se", name="SE"),
    ),
    Case(
        "team renamed",
        ("team.updated",),
        lambda w: organizations.team_edit(
            team=Team.objects.get(organization=w.org, key="spare"), by=owner(w), name="Reserve"
        ),
    ),
    Case(
        "team members changed",
        ("team.members_changed",),
        lambda w: organizations.team_edit(
            team=Team.objects.get(organization=w.org, key="spare"),
            by=owner(w),
            members=["member"],
        ),
    ),
    Case(
        "team deleted",
        ("team.deleted",),
        lambda w: organizations.team_delete(
            team=Team.objects.get(organization=w.org, key="spare"), by=owner(w)
        ),
    ),
    Case(
        "decision retention changed",
        ("organization.retention_changed",),
        lambda w: retention.organization_retention_set(
            organization=Organization.objects.get(pk=w.org.pk), by=owner(w), days=90
        ),
    ),
    Case(
        "decisions past retention deleted",
        ("decisions.expired",),
        lambda w: retention.decisions_expire(
            organization=Organization.objects.get(pk=w.org.pk), now=later(31)
        ),
        prepare=aged_decisions,
    ),
    # ---- catalogs
    Case(
        "default catalog installed",
        ("catalog.defaults_installed",),
        lambda w: catalogs.catalog_install_defaults(
            organization=Organization.objects.get(slug="bare"), by="setup"
        ),
        prepare=lambda w: Organization.objects.create(name="Bare", slug="bare"),
    ),
    *catalog_cases(),
    # ---- policies and their versions
    Case(
        "policy created",
        ("policy.created",),
        lambda w: policies.policy_create(
            organization=w.org, by=w.people["author"], key="renewals", name="Renewals"
        ),
    ),
    Case(
        "version created",
        ("policy_version.created",),
        lambda w: policies.policy_version_create(
            policy=Policy.objects.get(organization=w.org, key="pipeline"),
            by=w.people["author"],
            document=SIMPLE_DOCUMENT,
        ),
    ),
    Case(
        "draft edited",
        ("policy_version.edited",),
        lambda w: policies.policy_version_edit(
            version=version(w, 1),
            by=w.people["author"],
            document={**SIMPLE_DOCUMENT, "name": "Pipeline, edited"},
        ),
    ),
    Case(
        "version submitted",
        ("policy_version.submitted",),
        lambda w: policies.policy_version_submit(version=version(w, 1), by=w.people["author"]),
    ),
    Case(
        "version approved",
        ("policy_version.approved",),
        lambda w: policies.policy_version_approve(version=version(w, 2), by=w.people["reviewer"]),
    ),
    Case(
        "version rejected",
        ("policy_version.rejected",),
        lambda w: policies.policy_version_reject(
            version=version(w, 2), by=w.people["reviewer"], comment="Not yet"
        ),
    ),
    Case("first version published", ("policy_version.activated",), publish_v3),
    Case(
        "version published over the active one",
        ("policy_version.superseded", "policy_version.activated"),
        lambda w: policies.policy_version_publish(version=version(w, 4), by=w.people["reviewer"]),
        prepare=approved_v4,
    ),
    Case(
        "version scheduled",
        ("policy_version.scheduled",),
        lambda w: policies.policy_version_publish(
            version=version(w, 3), by=w.people["reviewer"], effective_at=later(1)
        ),
    ),
    Case(
        "a newer version published cancels an older one's schedule",
        (
            "policy_version.superseded",
            "policy_version.schedule_cancelled",
            "policy_version.activated",
        ),
        lambda w: policies.policy_version_publish(version=version(w, 5), by=w.people["reviewer"]),
        prepare=scheduled_v4_then_approved_v5,
    ),
    Case(
        "autonomy proposed from trust figures",
        ("policy_version.created", "policy_version.autonomy_proposed"),
        lambda w: policies.policy_version_create_autonomous(
            policy=Policy.objects.get(organization=w.org, key="pipeline"),
            by=w.people["author"],
            action="draft_proposal",
            evidence={"approved": 40, "edited": 0},
        ),
        prepare=with_an_approval_action,
    ),
    # ---- agents, keys, the kill switch
    Case(
        "agent registered",
        ("agent.created",),
        lambda w: agents.agent_create(organization=w.org, by=owner(w), key="scout", name="Scout"),
    ),
    Case(
        "agent changed",
        ("agent.updated",),
        lambda w: agents.agent_update(agent=copilot(w), by=owner(w), name="Copilot II"),
    ),
    Case(
        "agent suspended",
        ("agent.suspended",),
        lambda w: agents.agent_suspend(agent=copilot(w), by=owner(w)),
    ),
    Case(
        "agent resumed",
        ("agent.resumed",),
        lambda w: agents.agent_resume(agent=copilot(w), by=owner(w)),
        prepare=lambda w: agents.agent_suspend(agent=copilot(w), by=owner(w)),
    ),
    Case(
        "key issued",
        ("agent_key.created",),
        lambda w: agents.agent_key_create(agent=copilot(w), by=owner(w)),
    ),
    Case(
        "key revoked",
        ("agent_key.revoked",),
        lambda w: agents.agent_key_revoke(
            agent=copilot(w), by=owner(w), prefix=copilot_key(w).prefix
        ),
    ),
    Case(
        "key rotated",
        # Two keys change: the new one is issued, the old one's end is brought forward.
        ("agent_key.created", "agent_key.rotated"),
        lambda w: agents.agent_key_rotate(
            agent=copilot(w), by=owner(w), prefix=copilot_key(w).prefix, old_valid_until=later(1)
        ),
    ),
    Case(
        "autonomy paused",
        ("autonomy.paused",),
        lambda w: agents.organization_autonomy_set(
            organization=Organization.objects.get(pk=w.org.pk),
            by=owner(w),
            paused=True,
            reason="Incident",
        ),
    ),
    Case(
        "autonomy resumed",
        ("autonomy.resumed",),
        lambda w: agents.organization_autonomy_set(
            organization=Organization.objects.get(pk=w.org.pk), by=owner(w), paused=False
        ),
        prepare=lambda w: agents.organization_autonomy_set(
            organization=w.org, by=owner(w), paused=True, reason="Incident"
        ),
    ),
    # ---- approvals, handoffs and outcomes
    Case(
        "approval submitted",
        ("approval.created",),
        lambda w: humans.approval_submit(
            agent=copilot(w),
            decision_id=unrouted(w, "draft_proposal"),
            draft={"kind": "email", "subject": "Proposal", "body": "Dear Priya, …"},
            context={"summary": "Asked for a proposal."},
        ),
        prepare=lambda w: routed(w, "draft_proposal", "require_approval"),
    ),
    Case(
        "handoff created",
        ("handoff.created",),
        lambda w: humans.handoff_create(
            agent=copilot(w),
            decision_id=unrouted(w, "quote_price"),
            context={"summary": "Wants a price."},
        ),
        prepare=lambda w: routed(w, "quote_price", "escalate"),
    ),
    *[
        Case(
            f"approval {verdict}",
            (f"approval.{status}",),
            lambda w, verdict=verdict, final=final: humans.approval_decide(
                approval=approval(w),
                by=w.people["member"],
                verdict=verdict,
                comment="Checked",
                final_draft=final,
            ),
        )
        for verdict, status, final in (
            ("approve", "approved", None),
            ("edit", "edited", {"kind": "email", "subject": "Proposal", "body": "Dear Priya."}),
            ("reject", "rejected", None),
        )
    ],
    Case(
        "approval expired",
        ("approval.expired", "approval.expired"),  # one per item due: one in each organization
        lambda w: humans.approvals_expire_due(now=later(30)),
        per_item=True,
    ),
    Case(
        "handoff claimed",
        ("handoff.claimed",),
        lambda w: humans.handoff_claim(handoff=handoff(w), by=w.people["member"]),
    ),
    Case(
        "handoff resolved",
        ("handoff.resolved",),
        lambda w: humans.handoff_close(
            handoff=handoff(w), by=w.people["member"], resolution="Quoted 40 seats."
        ),
    ),
    Case(
        "handoff returned",
        ("handoff.returned",),
        lambda w: humans.handoff_close(
            handoff=handoff(w), by=w.people["member"], follow_up="Send the price sheet."
        ),
    ),
    Case(
        "handoff overdue",
        ("handoff.overdue", "handoff.overdue"),  # one per item due: one in each organization
        lambda w: humans.handoffs_flag_overdue(now=later(1)),
        per_item=True,
    ),
    Case(
        "outcome reported",
        ("decision.outcome_reported",),
        lambda w: humans.decision_outcome_report(
            agent=copilot(w), decision_id=w.names["decision"], executed=True, detail="Sent."
        ),
    ),
    # ---- webhooks
    Case(
        "webhook added",
        ("webhook_endpoint.created",),
        lambda w: humans.webhook_endpoint_create(
            organization=w.org,
            by=owner(w),
            url="https://crm.example.invalid/hooks",
            events=["handoff.created"],
        ),
    ),
    Case(
        "webhook changed",
        ("webhook_endpoint.updated",),
        lambda w: humans.webhook_endpoint_update(
            endpoint=webhook(w), by=owner(w), description="The CRM"
        ),
    ),
    Case(
        "webhook secret rotated",
        ("webhook_endpoint.secret_rotated",),
        lambda w: humans.webhook_endpoint_rotate_secret(endpoint=webhook(w), by=owner(w)),
    ),
    Case(
        "webhook deleted",
        ("webhook_endpoint.deleted",),
        lambda w: humans.webhook_endpoint_delete(endpoint=webhook(w), by=owner(w)),
    ),
    Case(
        "webhook message redelivered",
        ("webhook_message.redelivered",),
        lambda w: humans.webhook_message_redeliver(
            message=WebhookMessage.objects.get(public_id=w.names["webhook_message"]),
            by=owner(w),
        ),
    ),
    # ---- evidence
    Case(
        "evidence exported",
        ("evidence.exported",),
        lambda w: evidence.evidence_export(
            organization=w.org,
            by=w.people["auditor"],
            since=timezone.now() - timedelta(days=1),
            until=timezone.now(),
            out=io.BytesIO(),
        ),
    ),
]

# Events that record access, not a change: each is written in a transaction of its own,
# by design (a refused request changes nothing); tests/audit/test_sign_ins.py covers them.
ACCESS_VERBS = {"user.signed_in", "user.sign_in_failed", "permission.refused"}

# Call sites whose verb is not written where audit_record is called: what each can write.
# A new call site of that kind fails test_every_verb_has_a_case until it is listed here.
INDIRECT_VERBS = {
    ("apps/agents/services.py", "_set_status"): {"agent.suspended", "agent.resumed"},
    ("apps/audit/signals.py", "_record_everywhere"): {"user.signed_in", "user.sign_in_failed"},
    ("apps/audit/signals.py", "permission_refused_record"): {"permission.refused"},
    ("apps/catalogs/services.py", "catalog_entry_create"): {
        f"catalog.{model._meta.model_name}.created" for model, _ in CATALOG_VALUES.values()
    },
    ("apps/catalogs/services.py", "catalog_entry_update"): {
        f"catalog.{model._meta.model_name}.updated" for model, _ in CATALOG_VALUES.values()
    },
    ("apps/humans/services.py", "approval_decide"): {
        "approval.approved",
        "approval.edited",
        "approval.rejected",
    },
    ("apps/humans/services.py", "handoff_close"): {"handoff.resolved", "handoff.returned"},
    # Forwards the verb= its callers name (found below as literals).
    ("apps/humans/services.py", "_record_created"): set(),
}


def _literal_verbs(node: ast.AST) -> set[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_verbs(node.body), _literal_verbs(node.orelse)
        if body is not None and orelse is not None:
            return body | orelse
    return None


def written_verbs() -> tuple[set[str], list[str]]:
    """Every verb the code under apps/ can write, and the call sites whose verb cannot be
    read from the source and INDIRECT_VERBS does not name."""
    root = Path(settings.BASE_DIR)
    verbs: set[str] = set()
    unknown: list[str] = []
    for path in sorted((root / "apps").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                callee = getattr(call.func, "id", getattr(call.func, "attr", ""))
                for keyword in call.keywords:
                    if keyword.arg != "verb":
                        continue
                    found = _literal_verbs(keyword.value)
                    if found is not None:
                        verbs |= found
                    elif callee == "audit_record":
                        site = (relative, function.name)
                        if site in INDIRECT_VERBS:
                            verbs |= INDIRECT_VERBS[site]
                        else:
                            unknown.append(f"{relative}:{call.lineno} in {function.name}")
    return verbs, unknown


def test_every_verb_has_a_case():
    verbs, unknown = written_verbs()
    assert unknown == [], "list what these can write in INDIRECT_VERBS"
    covered = {verb for case in CASES for verb in case.verbs}
    assert verbs - ACCESS_VERBS - covered == set(), "add a case for each"
    assert covered - verbs == set(), "cases for verbs nothing writes any more"
    assert len(verbs) > 50  # the scan found the call sites at all


def new_verbs(after_id: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(pk__gt=after_id).order_by("pk").values_list("verb", flat=True)
    )


def head() -> int:
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


class EventWritten(Exception):
    """Raised just after an audit event's row is inserted, as any later error would be."""


@contextmanager
def failing_on_event(number: int):
    """Make the `number`-th audit event written from here on raise once its row is in."""
    written = 0

    def fail(sender, **kwargs):
        nonlocal written
        written += 1
        if written == number:
            raise EventWritten(number)

    # On the model's row itself, so no writer of events (whoever imports what) escapes.
    post_save.connect(fail, sender=AuditEvent, weak=False, dispatch_uid="failing_on_event")
    try:
        yield
    finally:
        post_save.disconnect(sender=AuditEvent, dispatch_uid="failing_on_event")


def database_state() -> dict[str, str]:
    """Every row of every table, so that a change that outlived its failed event shows."""
    return {
        model._meta.label: serializers.serialize("json", model._base_manager.order_by("pk"))
        for model in django_apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_change_writes_its_events_in_its_transaction(world, case):
    case.prepare(world)
    start, before = head(), database_state()

    # An error just after any one of its events must undo the whole change: a change
    # committed before its event is written, or one whose event is written in a
    # transaction of its own, leaves rows behind here. A sweep commits each item on its
    # own, so only its first event can undo everything it did.
    failures = 1 if case.per_item else len(case.verbs)
    for number in range(1, failures + 1):
        with failing_on_event(number), pytest.raises(EventWritten):
            case.change(world)
        assert new_verbs(start) == [], f"an event outlived the error after event {number}"
        assert database_state() == before, f"the change outlived the error after event {number}"

    case.change(world)
    written = new_verbs(start)
    assert sorted(written) == sorted(case.verbs)
