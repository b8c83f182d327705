from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, IspServer, OutboundMail, OwnedNetwork, User


class OwnedNetworkInline(admin.TabularInline):
    model = OwnedNetwork
    extra = 0


class IspServerInline(admin.TabularInline):
    model = IspServer
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "forwarding_opt_in", "digest", "timezone", "date_joined"]
    list_filter = ["is_active", "is_staff", "forwarding_opt_in", "digest"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [OwnedNetworkInline, IspServerInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["first_name", "last_name", "timezone", "forwarding_opt_in", "digest"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "user__email", "prefix"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
    list_filter = ["revoked_at"]


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    """The outbox, read only: what went out, what waits, and why it failed."""

    list_display = ["created_at", "kind", "subject", "sent_at", "attempts", "next_attempt_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["message_id", "subject", "recipients"]
    readonly_fields = [f.name for f in OutboundMail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
