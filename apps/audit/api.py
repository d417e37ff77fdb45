"""Management API: exports an auditor accepts. The decision log and the audit trail stream as
CSV or JSON (one array), read a page at a time, so a million rows cost the server what a
thousand do; the evidence package is a zip written to a temporary file and sent from it."""

import tempfile
from datetime import datetime
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request

from apps.audit import exports
from apps.audit.evidence import evidence_export, evidence_filename
from apps.audit.signals import SIGN_INS
from apps.core.api import ANY_TEXT, boolean_param, datetime_param, query_param
from apps.engine.types import DECISIONS
from apps.organizations.constants import Capability
from apps.organizations.tenancy import OrganizationAPIView

_TEXT = {"type": "string", "pattern": ANY_TEXT}
_TIME = {"type": "string", "format": "date-time"}
SINCE = OpenApiParameter("since", _TIME, description="RFC 3339 time, inclusive")
UNTIL = OpenApiParameter("until", _TIME, description="RFC 3339 time, exclusive")
DECISION_FILTERS = [
    OpenApiParameter("agent", _TEXT, description="An agent's key (empty: any)"),
    OpenApiParameter("action", _TEXT, description="An action key (empty: any)"),
    OpenApiParameter("decision", str, enum=list(DECISIONS)),
    OpenApiParameter(
        "reason", _TEXT, description="The decisive reason code, e.g. limit.exceeded (empty: any)"
    ),
    SINCE,
    UNTIL,
]
AUDIT_FILTERS = [
    OpenApiParameter(
        "verb", _TEXT, description='A verb or its beginning, e.g. "policy_version." (empty: any)'
    ),
    OpenApiParameter("actor", _TEXT, description="Who: a username, agent key or task"),
    OpenApiParameter("object_type", _TEXT, description="e.g. policies.policyversion"),
    OpenApiParameter(
        "hide_sign_ins", bool, description="true: leave out sign-ins and failed sign-ins"
    ),
    SINCE,
    UNTIL,
]

_NULLABLE_TEXT = {"type": "string", "nullable": True}
_ANY = {}  # JSON of any shape (reasons, obligations, the request as received, before/after)
DECISION_ROW = {
    "type": "object",
    "properties": {
        "decision_id": {"type": "string"},
        "evaluated_at": {"type": "string", "format": "date-time"},
        "agent": {"type": "string"},
        "key_prefix": {"type": "string"},
        "policy": _NULLABLE_TEXT,
        "policy_version": {"type": "integer", "nullable": True},
        "policy_version_hash": _NULLABLE_TEXT,
        "action": {"type": "string"},
        "decision": {"type": "string"},
        "primary_reason": {"type": "string"},
        "reason_codes": {"type": "array", "items": {"type": "string"}},
        "reasons": _ANY,
        "obligations": _ANY,
        "request": _ANY,
        "masked_paths": _ANY,
        "request_id": {"type": "string"},
        "evaluation_us": {"type": "integer"},
        "error": {"type": "string"},
    },
}
AUDIT_ROW = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "actor_type": {"type": "string"},
        "actor": {"type": "string"},
        "verb": {"type": "string"},
        "object_type": {"type": "string"},
        "object_id": {"type": "string"},
        "object_repr": {"type": "string"},
        "before": _ANY,
        "after": _ANY,
        "ip": _NULLABLE_TEXT,
        "user_agent": {"type": "string"},
        "via": {"type": "string"},
        "prev_hash": {"type": "string"},
        "hash": {"type": "string"},
    },
}


def _csv_response(description: str) -> dict:
    return {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=description)}


def _json_response(row: dict, description: str) -> dict:
    return {
        (200, "application/json"): OpenApiResponse(
            {"type": "array", "items": row}, description=description
        )
    }


class ExportView(OrganizationAPIView):
    """Base of the exports: auditors and owners; errors are JSON whatever the client accepts."""

    permission_map = {"GET": Capability.VIEW_AUDIT}
    pagination_class = None
    kind = ""  # "decisions" or "audit"
    fmt = ""  # "csv" or "json"

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is CSV or JSON by the path; the error answers are always JSON.
        return super().perform_content_negotiation(request, force=True)

    def _times(self) -> dict[str, datetime]:
        times = {}
        for name in ("since", "until"):
            value = datetime_param(self.request, name)
            if value is not None:
                times[name] = value
        return times

    def filters(self) -> Any:
        raise NotImplementedError

    def get(self, request: Request, org: str) -> StreamingHttpResponse:
        exporter = exports.EXPORTS[(self.kind, self.fmt)]
        chunks = exporter(organization=self.organization, filters=self.filters())
        content_type = "text/csv; charset=utf-8" if self.fmt == "csv" else "application/json"
        response = StreamingHttpResponse(chunks, content_type=content_type)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        name = f"{self.kind}-{self.organization.slug}-{stamp}.{self.fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"  # a proxy passes the chunks on as they come
        return response


class DecisionExportView(ExportView):
    kind = "decisions"

    def filters(self) -> exports.DecisionFilters:
        decision = query_param(self.request, "decision")
        if decision is not None and decision not in DECISIONS:
            raise exceptions.ValidationError({"decision": f"Use one of {', '.join(DECISIONS)}."})
        texts = {name: query_param(self.request, name) or "" for name in ("agent", "action")}
        return exports.DecisionFilters(
            decision=decision or "",
            reason=query_param(self.request, "reason") or "",
            **texts,
            **self._times(),
        )


class AuditExportView(ExportView):
    kind = "audit"

    def filters(self) -> exports.AuditFilters:
        texts = {name: query_param(self.request, name) or "" for name in ("verb", "actor")}
        hidden = SIGN_INS if boolean_param(self.request, "hide_sign_ins") else ()
        return exports.AuditFilters(
            object_type=query_param(self.request, "object_type") or "",
            exclude_verbs=hidden,
            **texts,
            **self._times(),
        )


class DecisionCsvExportView(DecisionExportView):
    fmt = "csv"

    @extend_schema(
        operation_id="orgs_exports_decisions_csv",
        parameters=DECISION_FILTERS,
        responses=_csv_response(
            "The filtered decision log, newest first, streamed as CSV (RFC 4180) with a header "
            "line. JSON values are JSON text; a cell starting with = + - @, a tab or a carriage "
            "return is prefixed with a single quote."
        ),
    )
    def get(self, request: Request, org: str) -> StreamingHttpResponse:
        return super().get(request, org)


class DecisionJsonExportView(DecisionExportView):
    fmt = "json"

    @extend_schema(
        operation_id="orgs_exports_decisions_json",
        parameters=DECISION_FILTERS,
        responses=_json_response(
            DECISION_ROW, "The filtered decision log, newest first, streamed as one JSON array."
        ),
    )
    def get(self, request: Request, org: str) -> StreamingHttpResponse:
        return super().get(request, org)


class AuditCsvExportView(AuditExportView):
    fmt = "csv"

    @extend_schema(
        operation_id="orgs_exports_audit_csv",
        parameters=AUDIT_FILTERS,
        responses=_csv_response(
            "The filtered audit trail in chain order (seq ascending), streamed as CSV with a "
            "header line, each event with prev_hash and hash."
        ),
    )
    def get(self, request: Request, org: str) -> StreamingHttpResponse:
        return super().get(request, org)


class AuditJsonExportView(AuditExportView):
    fmt = "json"

    @extend_schema(
        operation_id="orgs_exports_audit_json",
        parameters=AUDIT_FILTERS,
        responses=_json_response(
            AUDIT_ROW, "The filtered audit trail in chain order, streamed as one JSON array."
        ),
    )
    def get(self, request: Request, org: str) -> StreamingHttpResponse:
        return super().get(request, org)


_EVIDENCE_SCHEMA: dict[str, Any] = {
    "parameters": [
        OpenApiParameter(
            "since", _TIME, description="RFC 3339 time, inclusive (default: the beginning)"
        ),
        OpenApiParameter("until", _TIME, description="RFC 3339 time, exclusive (default: now)"),
    ],
    "responses": {
        (200, "application/zip"): OpenApiResponse(
            OpenApiTypes.BINARY,
            description="The evidence package of the period: policy versions in force and "
            "their reviews, decision statistics, approvals and handoffs, the audit events, "
            "checkpoints and verification, and a printable summary.html. The export is "
            "recorded as an evidence.exported audit event with the zip's SHA-256.",
        )
    },
}


class EvidenceExportView(OrganizationAPIView):
    permission_map = {"GET": Capability.VIEW_AUDIT}
    pagination_class = None

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(operation_id="orgs_exports_evidence", **_EVIDENCE_SCHEMA)
    def get(self, request: Request, org: str) -> FileResponse:
        since = datetime_param(request, "since")
        until = datetime_param(request, "until")
        out = tempfile.TemporaryFile(prefix="mandate-evidence-")  # noqa: SIM115 - FileResponse closes it
        try:
            package = evidence_export(
                organization=self.organization, by=request.user, since=since, until=until, out=out
            )
        except BaseException:
            out.close()  # an empty period (400) or a failure: nothing is sent or kept
            raise
        response = FileResponse(
            out,
            as_attachment=True,
            filename=evidence_filename(package),
            content_type="application/zip",
        )
        response.block_size = 1 << 16
        response["Cache-Control"] = "no-store"
        response["X-Content-SHA256"] = package.sha256
        return response


class EvidencePackageView(EvidenceExportView):
    """The same package under evidence/, beside the other evidence reads; an operation of its
    own in the schema."""

    @extend_schema(operation_id="orgs_evidence_package", **_EVIDENCE_SCHEMA)
    def get(self, request: Request, org: str) -> FileResponse:
        return super().get(request, org)
