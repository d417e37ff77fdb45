"""Management API: the audit trail read by page (filters, keyset cursor), its verification
walked now, and the signed checkpoints an auditor downloads and keeps. Auditors and owners;
the same reads as the auditor's pages."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit.api import AUDIT_FILTERS
from apps.audit.evidence_api import EvidenceEventOut
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.selectors import audit_events_list
from apps.audit.signals import SIGN_INS
from apps.audit.verification import audit_verify, checkpoint_document
from apps.core.api import KeysetPagination, boolean_param, datetime_param, query_param
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView

TAG = "Audit"


class AuditCursor(KeysetPagination):
    ordering = ("-seq",)
    page_size = 100
    max_page_size = 1000


class CheckpointCursor(KeysetPagination):
    ordering = ("seq",)
    page_size = 100
    max_page_size = 1000


class AuditEventOut(EvidenceEventOut):
    """An event as the evidence chain shows it, with what changed, from where, and its link
    to the event before."""

    actor_type = serializers.CharField(help_text="person, agent or system")
    actor = serializers.CharField(help_text="A username, an agent's key or a task's name.")
    before = serializers.JSONField(allow_null=True, help_text="The changed fields before.")
    after = serializers.JSONField(allow_null=True, help_text="The changed fields after.")

    class Meta(EvidenceEventOut.Meta):
        fields = [
            *EvidenceEventOut.Meta.fields,
            "before",
            "after",
            "ip",
            "user_agent",
            "via",
            "prev_hash",
        ]


class CheckpointOut(serializers.Serializer):
    organization = serializers.CharField()
    organization_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    hash = serializers.CharField()
    at = serializers.CharField(help_text="ISO 8601, as signed")
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="HMAC-SHA256 of the statement, hexadecimal")


class FindingOut(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["altered", "removed", "inserted", "reordered", "rewritten", "bad_checkpoint"]
    )
    seq = serializers.IntegerField(help_text="The first event concerned.")
    message = serializers.CharField()


class VerificationOut(serializers.Serializer):
    organization = serializers.CharField()
    ok = serializers.BooleanField()
    events = serializers.IntegerField()
    head_seq = serializers.IntegerField()
    head_hash = serializers.CharField()
    checkpoints_checked = serializers.IntegerField()
    problems = FindingOut(many=True, help_text="In chain order; the first names where it broke.")
    checked_at = serializers.DateTimeField()


class AuditEventListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    serializer_class = AuditEventOut
    pagination_class = AuditCursor
    queryset = AuditEvent.objects.all()

    def get_base_queryset(self) -> QuerySet[AuditEvent]:
        request = self.request
        return audit_events_list(
            organization=self.organization,
            verb=query_param(request, "verb") or "",
            actor=query_param(request, "actor") or "",
            object_type=query_param(request, "object_type") or "",
            since=datetime_param(request, "since"),
            until=datetime_param(request, "until"),
            exclude_verbs=SIGN_INS if boolean_param(request, "hide_sign_ins") else (),
        )

    @extend_schema(
        operation_id="orgs_audit_events_list",
        tags=[TAG],
        parameters=AUDIT_FILTERS,
        responses=AuditEventOut(many=True),
        description="The audit trail, newest first: who did what to which object, when and "
        "from where, with the fields that changed and each event's place in the hash chain.",
    )
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AuditEventOut(page, many=True).data)


class AuditVerifyView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    serializer_class = VerificationOut
    pagination_class = None
    queryset = AuditEvent.objects.all()

    @extend_schema(
        operation_id="orgs_audit_verify",
        tags=[TAG],
        responses=VerificationOut,
        description="Walk the organization's chain now and hold it against every checkpoint "
        "kept in the database; `ok` is false and `problems` names the first altered, removed, "
        "inserted or moved event (or a checkpoint that no longer holds).",
    )
    def get(self, request: Request, org: str) -> Response:
        result = audit_verify(organization=self.organization)
        data: dict[str, Any] = {**result.as_dict(), "checked_at": timezone.now()}
        return Response(VerificationOut(data).data)


class AuditCheckpointListView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    serializer_class = CheckpointOut
    pagination_class = CheckpointCursor
    queryset = AuditCheckpoint.objects.select_related("organization")

    @extend_schema(
        operation_id="orgs_audit_checkpoints_list",
        tags=[TAG],
        responses=CheckpointOut(many=True),
        description="The signed checkpoints of the chain head, oldest first, each as the "
        "statement `verify_audit --checkpoints` and the verification page read back.",
    )
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        return self.get_paginated_response([checkpoint_document(c) for c in page])
