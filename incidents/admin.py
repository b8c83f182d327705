from django.contrib import admin

from . import rules
from .models import FilterRule, InboundMail, Submission


@admin.register(FilterRule)
class FilterRuleAdmin(admin.ModelAdmin):
    list_display = ["reason", "kind", "scope", "network", "protocol", "port_from", "port_to", "expires_at", "enabled"]
    list_filter = ["kind", "enabled", ("user", admin.EmptyFieldListFilter)]
    search_fields = ["reason", "user__email"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rules.rule_saved(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        rules.rule_deleted(obj)

    def delete_queryset(self, request, queryset):
        affected = list(queryset)
        super().delete_queryset(request, queryset)
        for rule in affected:
            rules.rule_deleted(rule)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "channel", "name", "status", "created_at", "lines", "accepted", "rejected"]
    list_filter = ["status", "channel"]
    search_fields = ["user__email", "name"]
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ["received_at", "sender", "subject", "outcome", "reason", "user"]
    list_filter = ["outcome"]
    search_fields = ["sender", "subject", "message_id"]
    readonly_fields = [f.name for f in InboundMail._meta.fields]

    def has_add_permission(self, request):
        return False
