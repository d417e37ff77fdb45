"""Operator views of people and tokens; memberships change only through the services."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.models import PersonalAccessToken, User


@admin.register(User)
class MandateUserAdmin(UserAdmin):
    # Deleting a person would remove memberships without an audit event; deactivate instead.
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "token_hash",
        "created_at",
        "last_used_at",
        "expires_at",
    )

    def has_add_permission(self, request):
        return False
