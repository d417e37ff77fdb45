"""Management API: the caller's own personal access tokens."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts import services
from apps.accounts.serializers import TokenCreatedOut, TokenIn, TokenOut
from apps.core.api import refusals_of_state
from apps.core.openapi import conflict


class TokenListView(GenericAPIView):
    serializer_class = TokenOut
    pagination_class = None

    @extend_schema(operation_id="tokens_list", responses=TokenOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(TokenOut(request.user.tokens.all(), many=True).data)

    @extend_schema(
        request=TokenIn,
        responses={201: TokenCreatedOut, 409: conflict("The expiry is already past.")},
    )
    def post(self, request: Request) -> Response:
        payload = TokenIn(data=request.data)
        payload.is_valid(raise_exception=True)
        with refusals_of_state():
            issued = services.personal_token_create(user=request.user, **payload.validated_data)
        data = {**TokenOut(issued.token).data, "token": issued.raw}
        return Response(data, status=status.HTTP_201_CREATED)


class TokenRevokeView(GenericAPIView):
    serializer_class = TokenOut

    @extend_schema(request=None, responses=TokenOut)
    def post(self, request: Request, prefix: str) -> Response:
        token = services.personal_token_revoke(user=request.user, prefix=prefix)
        return Response(TokenOut(token).data)
