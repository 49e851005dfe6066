from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["region", "departement", "epci", "cpts", "site"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleGrantInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_demo"]
    list_filter = [*BaseUserAdmin.list_filter, "is_demo", "role_grants__role"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    exclude = ["key_hash"]
    search_fields = ["name", "user__username"]

    def has_add_permission(self, request):
        # Tokens are issued by `maille issue_api_token` so that the raw value is shown exactly once.
        return False
