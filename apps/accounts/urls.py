"""Management API paths for the caller's own tokens."""

from django.urls import path

from apps.accounts import api

urlpatterns = [
    path("tokens/", api.TokenListView.as_view(), name="token-list"),
    path("tokens/<str:prefix>/revoke/", api.TokenRevokeView.as_view(), name="token-revoke"),
]
