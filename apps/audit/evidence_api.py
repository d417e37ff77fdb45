"""Management API: the evidence chain of one decision (the request as recorded, the version
that decided it and its review, the approval or handoff, the person's action, the outcome)
and, backwards, every decision one policy version made, paged by keyset. Auditors and
owners; the same reads as the pages, from apps.audit.evidence_chain."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit import evidence_chain as chain
from apps.audit.models import AuditEvent
from apps.checks.models import Decision
from apps.core.api import ANY_TEXT, KeysetPagination
from apps.engine.types import DECISIONS
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView
from apps.policies.models import PolicyVersion

TAG = "Evidence"


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _seconds(span: Any) -> int | None:
    return int(span.total_seconds()) if span is not None else None


# ---- output serializers ------------------------------------------------------------------


class EvidenceEventOut(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "at",
            "actor_type",
            "actor",
            "verb",
            "object_type",
            "object_id",
            "object_repr",
            "hash",
        ]


class EvidenceReasonOut(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class EvidenceRequestOut(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.key")
    decision = serializers.ChoiceField(choices=DECISIONS)
    reasons = EvidenceReasonOut(many=True, help_text="Every matching rule; the decisive first.")
    obligations = serializers.DictField()
    request = serializers.DictField(help_text="The request as recorded, sensitive values masked.")
    masked_paths = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Decision
        fields = [
            "decision_id",
            "evaluated_at",
            "agent",
            "key_prefix",
            "action",
            "decision",
            "primary_reason",
            "reasons",
            "obligations",
            "request",
            "masked_paths",
            "request_id",
            "error",
        ]


class EvidenceVersionOut(serializers.Serializer):
    policy = serializers.CharField()
    policy_name = serializers.CharField()
    number = serializers.IntegerField()
    state = serializers.CharField()
    author = serializers.CharField()
    contributors = serializers.ListField(
        child=serializers.CharField(), help_text="Everyone else who wrote part of it."
    )
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewer = serializers.CharField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    approval_comment = serializers.CharField(allow_blank=True)
    approved_hash = serializers.CharField(allow_blank=True)
    content_hash = serializers.CharField()
    document_matches_hash = serializers.BooleanField(
        help_text="The stored document still hashes to content_hash."
    )
    approved_hash_matches = serializers.BooleanField(
        help_text="content_hash is the hash the reviewer approved."
    )
    publish_at = serializers.DateTimeField(allow_null=True)
    published_by = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    superseded_at = serializers.DateTimeField(allow_null=True)
    events = EvidenceEventOut(many=True, help_text="The version's audit events, in chain order.")


def version_data(record: chain.VersionRecord) -> dict[str, Any]:
    version = record.version
    return {
        "policy": version.policy.key,
        "policy_name": version.policy.name,
        "number": version.number,
        "state": version.state,
        "author": _username(version.author),
        "contributors": record.contributors,
        "submitted_by": _username(version.submitted_by),
        "submitted_at": version.submitted_at,
        "reviewer": _username(version.reviewed_by),
        "reviewed_at": version.reviewed_at,
        "approval_comment": version.review_comment,
        "approved_hash": version.approved_hash,
        "content_hash": version.content_hash,
        "document_matches_hash": record.document_matches_hash,
        "approved_hash_matches": record.approved_hash_matches,
        "publish_at": version.publish_at,
        "published_by": _username(version.published_by),
        "published_at": version.activated_at,
        "superseded_at": version.superseded_at,
        "events": record.events,
    }


class EvidenceDecidingVersionOut(EvidenceVersionOut):
    in_force_at_decision = serializers.BooleanField(
        help_text="The version was the active one when the decision was made."
    )


class EvidenceApprovalOut(serializers.Serializer):
    approval_id = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    reminded_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    seconds_to_decision = serializers.IntegerField(allow_null=True)
    decided_in_time = serializers.BooleanField(allow_null=True)
    draft = serializers.JSONField(help_text="The agent's draft.")
    final_draft = serializers.JSONField(
        allow_null=True, help_text="The draft as the person approved it, when they edited it."
    )
    changed_fields = serializers.ListField(child=serializers.CharField())


class EvidenceHandoffOut(serializers.Serializer):
    handoff_id = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    claimed_at = serializers.DateTimeField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.CharField(allow_null=True)
    resolution = serializers.CharField(allow_blank=True)
    follow_up = serializers.CharField(allow_blank=True)
    seconds_to_claim = serializers.IntegerField(allow_null=True)
    seconds_to_close = serializers.IntegerField(allow_null=True)
    answered_in_time = serializers.BooleanField(allow_null=True)


class EvidenceOutcomeOut(serializers.Serializer):
    executed = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)
    reported_at = serializers.DateTimeField()


class EvidenceChainOut(serializers.Serializer):
    decision = EvidenceRequestOut(help_text="The decision and the request as recorded.")
    policy_version = EvidenceDecidingVersionOut(
        allow_null=True, help_text="The version that decided it (none: no active policy)."
    )
    approval = EvidenceApprovalOut(allow_null=True)
    handoff = EvidenceHandoffOut(allow_null=True)
    outcome = EvidenceOutcomeOut(allow_null=True, help_text="What the agent reported.")
    events = EvidenceEventOut(
        many=True, help_text="Audit events of the decision, its approval and handoff."
    )


def chain_data(found: chain.DecisionEvidence) -> dict[str, Any]:
    decision = found.decision
    data: dict[str, Any] = {
        "decision": decision,
        "policy_version": None,
        "approval": None,
        "handoff": None,
        "outcome": None,
        "events": found.events,
    }
    if found.version is not None:
        data["policy_version"] = {
            **version_data(found.version),
            "in_force_at_decision": found.version.in_force_at(decision.evaluated_at),
        }
    approval = found.approval
    if approval is not None:
        data["approval"] = {
            "approval_id": approval.public_id,
            "team": approval.team.key if approval.team else None,
            "status": approval.status,
            "created_at": approval.created_at,
            "due_at": approval.due_at,
            "reminded_at": approval.reminded_at,
            "decided_at": approval.decided_at,
            "decided_by": _username(approval.decided_by),
            "comment": approval.comment,
            "seconds_to_decision": _seconds(found.approval_wait),
            "decided_in_time": found.approval_in_time,
            "draft": approval.draft,
            "final_draft": approval.final_draft,
            "changed_fields": found.changed_fields,
        }
    handoff = found.handoff
    if handoff is not None:
        data["handoff"] = {
            "handoff_id": handoff.public_id,
            "team": handoff.team.key if handoff.team else None,
            "reason": handoff.reason,
            "status": handoff.status,
            "created_at": handoff.created_at,
            "due_at": handoff.due_at,
            "claimed_at": handoff.claimed_at,
            "assignee": _username(handoff.assignee),
            "closed_at": handoff.closed_at,
            "closed_by": _username(handoff.closed_by),
            "resolution": handoff.resolution,
            "follow_up": handoff.follow_up,
            "seconds_to_claim": _seconds(found.handoff_to_claim),
            "seconds_to_close": _seconds(found.handoff_to_close),
            "answered_in_time": found.handoff_in_time,
        }
    if found.outcome is not None:
        data["outcome"] = found.outcome
    return data


class EvidenceDecisionCountsOut(serializers.Serializer):
    allow = serializers.IntegerField()
    require_approval = serializers.IntegerField()
    escalate = serializers.IntegerField()
    deny = serializers.IntegerField()


class EvidenceReportedOut(serializers.Serializer):
    executed = serializers.IntegerField()
    not_executed = serializers.IntegerField()
    unreported = serializers.IntegerField()


class EvidenceVersionDecisionOut(serializers.ModelSerializer):
    agent = serializers.CharField(source="agent.key")
    decision = serializers.ChoiceField(choices=DECISIONS)
    approval_status = serializers.SerializerMethodField()
    handoff_status = serializers.SerializerMethodField()
    executed = serializers.SerializerMethodField(
        help_text="What the agent reported doing (null: nothing reported)."
    )

    class Meta:
        model = Decision
        fields = [
            "decision_id",
            "evaluated_at",
            "agent",
            "action",
            "decision",
            "primary_reason",
            "approval_status",
            "handoff_status",
            "executed",
        ]

    def _related(self, row: Decision, name: str) -> Any:
        return getattr(row, name, None)

    def get_approval_status(self, row: Decision) -> str | None:
        approval = self._related(row, "approval")
        return approval.status if approval is not None else None

    def get_handoff_status(self, row: Decision) -> str | None:
        handoff = self._related(row, "handoff")
        return handoff.status if handoff is not None else None

    def get_executed(self, row: Decision) -> bool | None:
        outcome = self._related(row, "outcome")
        return outcome.executed if outcome is not None else None


class EvidenceVersionDecisionsOut(serializers.Serializer):
    version = EvidenceVersionOut()
    total = serializers.IntegerField(help_text="Every decision this version made.")
    by_decision = EvidenceDecisionCountsOut()
    reported = EvidenceReportedOut(help_text="What agents reported doing with them.")
    approvals = serializers.DictField(
        child=serializers.IntegerField(), help_text="Approvals they led to, by status."
    )
    handoffs = serializers.DictField(
        child=serializers.IntegerField(), help_text="Handoffs they led to, by status."
    )
    first_evaluated_at = serializers.DateTimeField(allow_null=True)
    last_evaluated_at = serializers.DateTimeField(allow_null=True)
    next = serializers.CharField(allow_null=True, help_text="The next (older) page.")
    previous = serializers.CharField(allow_null=True, help_text="The previous (newer) page.")
    results = EvidenceVersionDecisionOut(many=True, help_text="Newest first.")


# ---- views -------------------------------------------------------------------------------


class DecisionCursor(KeysetPagination):
    ordering = ("-evaluated_at", "-id")
    page_size = 50
    max_page_size = 500


class DecisionEvidenceView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    queryset = Decision.objects.all()
    serializer_class = EvidenceChainOut

    @extend_schema(
        operation_id="orgs_evidence_decision",
        tags=[TAG],
        responses=EvidenceChainOut,
        description="From a decision, everything that followed: the request as recorded "
        "(masked), the policy version that decided it with its review, the approval or "
        "handoff it led to, what the person did, and the outcome the agent reported.",
    )
    def get(self, request: Request, org: str, decision_id: str) -> Response:
        found = None
        if "\x00" not in decision_id:
            found = chain.decision_evidence(organization=self.organization, decision_id=decision_id)
        if found is None:
            raise exceptions.NotFound("No such decision.")
        return Response(EvidenceChainOut(chain_data(found)).data)


class VersionEvidenceView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    queryset = PolicyVersion.objects.all()
    serializer_class = EvidenceVersionDecisionsOut
    pagination_class = DecisionCursor

    @extend_schema(
        operation_id="orgs_evidence_version",
        tags=[TAG],
        responses=EvidenceVersionDecisionsOut,
        parameters=[
            OpenApiParameter(
                "cursor",
                {"type": "string", "pattern": ANY_TEXT},
                description="The cursor from a previous page's next or previous.",
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1},
                description="Decisions per page (default 50; more than 500 reads as 500).",
            ),
        ],
        description="Every decision a policy version made, newest first (a keyset cursor: a "
        "page deep in the list costs what the first does), with counts by decision, by what "
        "agents reported, and of the approvals and handoffs they led to.",
    )
    def get(self, request: Request, org: str, policy: str, number: int) -> Response:
        version = chain.evidence_version_get(
            organization=self.organization, policy=policy, number=number
        )
        if version is None:
            raise exceptions.NotFound("No such version.")
        summary = chain.version_decisions_summary(version=version)
        rows = chain.version_decisions(version=version).prefetch_related(
            "approval", "handoff", "outcome"
        )
        page = self.paginate_queryset(rows) or []
        paginator = self.paginator
        data = {
            "version": version_data(summary.record),
            "total": summary.total,
            "by_decision": summary.by_decision,
            "reported": summary.reported,
            "approvals": summary.approvals,
            "handoffs": summary.handoffs,
            "first_evaluated_at": summary.first_at,
            "last_evaluated_at": summary.last_at,
            "next": paginator.get_next_link() if paginator else None,
            "previous": paginator.get_previous_link() if paginator else None,
            "results": page,
        }
        return Response(EvidenceVersionDecisionsOut(data).data)
