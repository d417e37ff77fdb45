"""The two baselines the check endpoint is measured against, served by the same process:

- `bare`: a Django view answering a fixed JSON body — the ceiling of the stack;
- `NaiveCheck`: the obvious implementation — a DRF view that looks the key up, validates
  the same body with a serializer and INSERTs one row, deciding nothing.
"""

import hashlib

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.agents.models import AgentKey
from apps.checks.ids import new_decision_id
from apps.checks.models import Decision


@csrf_exempt
def bare(request):
    return JsonResponse({"decision": "allow", "reasons": [{"code": "action.allowed"}]})


class _Subject(serializers.Serializer):
    type = serializers.CharField(max_length=1000)
    id = serializers.CharField(max_length=1000)


class _Context(serializers.Serializer):
    channel = serializers.CharField(max_length=1000, required=False)
    template = serializers.CharField(max_length=1000, required=False)
    deal_stage = serializers.CharField(max_length=1000, required=False)
    data_categories = serializers.ListField(child=serializers.CharField(), required=False)
    crm_fields = serializers.ListField(child=serializers.CharField(), required=False)


class _Check(serializers.Serializer):
    action = serializers.CharField(max_length=1000)
    confidence = serializers.FloatField(min_value=0, max_value=1, required=False)
    signals = serializers.ListField(child=serializers.CharField(), required=False)
    context = _Context(required=False)
    subject = _Subject(required=False)
    request_id = serializers.CharField(max_length=200, required=False)


class NaiveCheck(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        raw = request.headers.get("Authorization", "").removeprefix("Bearer ")
        key = (
            AgentKey.objects.select_related("agent")
            .filter(key_hash=hashlib.sha256(raw.encode()).hexdigest())
            .first()
        )
        if key is None:
            return Response({"error": {"code": "unauthenticated"}}, status=401)
        check = _Check(data=request.data)
        check.is_valid(raise_exception=True)
        row = Decision.objects.create(
            decision_id=new_decision_id(),
            organization_id=key.organization_id,
            agent_id=key.agent_id,
            key_prefix=key.prefix,
            action=check.validated_data["action"],
            decision="allow",
            primary_reason="action.allowed",
            reason_codes=["action.allowed"],
            request=request.data,
            evaluated_at=timezone.now(),
        )
        return Response({"decision_id": row.decision_id, "decision": "allow"})
