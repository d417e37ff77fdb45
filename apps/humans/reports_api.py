"""Management API: the figures behind the inbox's response times and the trust page, and the
one click that turns a trust recommendation into a draft version. The same reads as the
pages, for whoever keeps their own dashboards."""

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.agents.models import Agent
from apps.core.api import Integer, StrictSerializer, key_field, query_param
from apps.core.errors import Conflict
from apps.core.openapi import conflict
from apps.humans.constants import DEFAULT_REPORT_WINDOW, REPORT_WINDOW_MESSAGE, REPORT_WINDOWS
from apps.humans.models import Handoff
from apps.humans.sla import Spread, handoff_sla
from apps.humans.trust import ActionTrust, AgentTrust, agents_trust, trust_thresholds
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView
from apps.policies.models import PolicyVersion
from apps.policies.serializers import VersionOut
from apps.policies.services import policy_version_propose_autonomous

DAYS = OpenApiParameter(
    "days",
    int,
    enum=list(REPORT_WINDOWS),
    description=f"The window, in days, ending now (default {DEFAULT_REPORT_WINDOW}).",
)


def _days(request: Request) -> int:
    value = query_param(request, "days")
    if value is None:
        return DEFAULT_REPORT_WINDOW
    if value not in {str(d) for d in REPORT_WINDOWS}:
        raise exceptions.ValidationError({"days": REPORT_WINDOW_MESSAGE})
    return int(value)


def _seconds(duration: timedelta | None) -> float | None:
    return duration.total_seconds() if duration is not None else None


class SpreadOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="Handoffs measured.")
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(
        allow_null=True, help_text="Nearest rank: a time somebody actually waited."
    )

    def to_representation(self, instance: Spread) -> dict[str, object]:
        return {
            "count": instance.count,
            "median_seconds": _seconds(instance.median),
            "p90_seconds": _seconds(instance.p90),
        }


class SlaFiguresOut(serializers.Serializer):
    received = serializers.IntegerField(help_text="Handoffs created in the window.")
    closed = serializers.IntegerField()
    breached = serializers.IntegerField(
        help_text="Closed after their due time, or still open past it."
    )
    on_time_percent = serializers.IntegerField(allow_null=True)
    time_to_claim = SpreadOut(source="to_claim")
    time_to_close = SpreadOut(source="to_close")
    open_now = serializers.IntegerField(help_text="Not closed, whenever received.")
    overdue_now = serializers.IntegerField()


class TeamSlaOut(SlaFiguresOut):
    team = serializers.CharField(
        source="team.key", default=None, allow_null=True, help_text="null: routed to no team."
    )
    name = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # the inherited figures come first: the team leads
        return {"team": fields.pop("team"), "name": fields.pop("name"), **fields}


class HandoffSlaOut(serializers.Serializer):
    days = serializers.IntegerField()
    since = serializers.DateTimeField()
    teams = TeamSlaOut(many=True)
    total = SlaFiguresOut(help_text="Every team's handoffs together.")


class HandoffSlaView(OrganizationAPIView):
    permission_map = {"GET": Capability.WORK_INBOX}
    serializer_class = HandoffSlaOut
    pagination_class = None
    queryset = Handoff.objects.all()

    @extend_schema(
        operation_id="orgs_handoffs_response_times",
        parameters=[DAYS],
        responses=HandoffSlaOut,
        description="Per team, the handoffs received in the window: how long until a person "
        "claimed them and until they were closed (median and 90th percentile, in seconds), "
        "how many broke their due time; and what is open and overdue now.",
    )
    def get(self, request: Request, org: str) -> Response:
        figures = handoff_sla(organization=self.organization, days=_days(request))
        return Response(HandoffSlaOut(figures).data)


class ActionTrustOut(serializers.Serializer):
    action = serializers.CharField()
    mode = serializers.CharField(
        allow_null=True, help_text="In the active version of the agent's policy; null: not in it."
    )
    approved_unchanged = serializers.IntegerField(source="approved")
    edited = serializers.IntegerField()
    rejected = serializers.IntegerField()
    expired = serializers.IntegerField()
    pending = serializers.IntegerField()
    decided = serializers.IntegerField(help_text="Approved unchanged, edited or rejected.")
    unchanged_rate = serializers.FloatField(
        allow_null=True, help_text="Approved unchanged over decided; expiries say nothing."
    )
    executed = serializers.IntegerField(help_text="Outcomes reported as executed.")
    not_executed = serializers.IntegerField()
    recommended = serializers.BooleanField(help_text="The record supports going autonomous.")
    proposed_in = serializers.SerializerMethodField(
        help_text="A later open version that already makes it autonomous."
    )
    note = serializers.SerializerMethodField(help_text="Why it is, or is not, recommended.")

    def _proposed_in(self, row: ActionTrust) -> PolicyVersion | None:
        return self.context.get("proposed", {}).get(row.action)

    def get_proposed_in(self, row: ActionTrust) -> int | None:
        version = self._proposed_in(row)
        return version.number if version is not None else None

    def get_note(self, row: ActionTrust) -> str:
        version = self._proposed_in(row)
        if version is None:
            return row.note
        return f"Version {version.number} ({version.get_state_display().lower()}) proposes it."


class AgentTrustOut(serializers.Serializer):
    agent = serializers.CharField()
    name = serializers.CharField()
    policy = serializers.CharField(allow_null=True)
    active_version = serializers.IntegerField(allow_null=True)
    actions = ActionTrustOut(many=True)

    def to_representation(self, instance: AgentTrust) -> dict[str, object]:
        proposed = {r.action: r.proposed_in for r in instance.recommendations}
        actions = ActionTrustOut(instance.actions, many=True, context={"proposed": proposed})
        agent, active = instance.agent, instance.active_version
        return {
            "agent": agent.key,
            "name": agent.name,
            "policy": agent.policy.key if agent.policy else None,
            "active_version": active.number if active is not None else None,
            "actions": actions.data,
        }


class ThresholdsOut(serializers.Serializer):
    min_approvals = serializers.IntegerField(help_text="Decided approvals needed.")
    min_unchanged_rate = serializers.FloatField()


class TrustOut(serializers.Serializer):
    days = serializers.IntegerField()
    thresholds = ThresholdsOut()
    agents = AgentTrustOut(many=True)


@extend_schema_field(
    {"type": "integer", "enum": list(REPORT_WINDOWS), "default": DEFAULT_REPORT_WINDOW}
)
class ReportWindow(Integer):
    """One of the windows the pages offer, as a JSON integer."""

    def to_internal_value(self, data: object) -> int:
        value = super().to_internal_value(data)
        if value not in REPORT_WINDOWS:
            raise serializers.ValidationError(REPORT_WINDOW_MESSAGE)
        return value


class TrustProposeIn(StrictSerializer):
    agent = key_field(max_length=64, help_text="The agent's key.")
    action = key_field(max_length=64, help_text="The action's key.")
    days = ReportWindow(
        default=DEFAULT_REPORT_WINDOW, help_text="The window whose record supports the change."
    )


class TrustView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_DECISIONS}
    serializer_class = TrustOut
    pagination_class = None
    queryset = Agent.objects.select_related("policy")

    @extend_schema(
        operation_id="orgs_trust",
        parameters=[DAYS],
        responses=TrustOut,
        description="Each agent's record with people per action over the window — approved "
        "unchanged, edited, rejected, expired, outcomes reported — and the actions that record "
        "supports moving to autonomous under the configured thresholds.",
    )
    def get(self, request: Request, org: str) -> Response:
        days = _days(request)
        data = {
            "days": days,
            "thresholds": trust_thresholds(),
            "agents": agents_trust(organization=self.organization, days=days),
        }
        return Response(TrustOut(data).data)


class TrustProposeView(OrganizationAPIView):
    permission_map = {"POST": Capability.AUTHOR_POLICIES}
    serializer_class = VersionOut
    queryset = Agent.objects.select_related("policy", "organization")

    @extend_schema(
        operation_id="orgs_trust_propose",
        request=TrustProposeIn,
        responses={
            201: VersionOut,
            409: conflict(
                "`conflict`: the organization has no such agent; `not_recommended`: its record "
                "over the window does not support making the action autonomous (or its policy "
                "has no active version); `already_proposed`: a later open version already does."
            ),
        },
        description="A draft version of the agent's policy that makes the action autonomous, "
        "every other rule as in the active version, for the normal review. The record is read "
        "again here: only what the trust figures recommend is proposed, and only once.",
    )
    def post(self, request: Request, org: str) -> Response:
        payload = TrustProposeIn(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        agent = self.get_queryset().filter(key=data["agent"]).first()
        if agent is None:
            # A name the organization does not hold: a conflict with its state, as elsewhere.
            raise Conflict(
                f"The organization has no agent {data['agent']}.",
                fields={"agent": "No such agent."},
            )
        version = policy_version_propose_autonomous(
            agent=agent, action=data["action"], days=data["days"], by=request.user
        )
        return Response(VersionOut(version).data, status=status.HTTP_201_CREATED)
