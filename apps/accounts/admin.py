from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.models import PersonalAccessToken, User

admin.site.register(User, UserAdmin)


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
