import ipaddress

from celery import current_app
from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import standings
from .models import KnownNetwork, ReporterStanding


class KnownNetworkForm(forms.ModelForm):
    class Meta:
        model = KnownNetwork
        fields = ["network", "kind", "name", "source"]
        labels = {"source": "Why (cited on pages)"}

    def clean(self):
        # The constraint names origin, which is not on the form, so Django would not check it.
        data = super().clean()
        same = {field: data.get(field) for field in ("network", "kind", "source")}
        duplicate = KnownNetwork.objects.filter(origin=KnownNetwork.Origin.ADMIN, **same).exclude(pk=self.instance.pk)
        if same["network"] and duplicate.exists():
            raise forms.ValidationError("An admin already added this network, as this kind, for this reason.")
        return data


@admin.register(KnownNetwork)
class KnownNetworkAdmin(admin.ModelAdmin):
    """Admins add their own networks (origin's default is admin); the package
    and built-in ones are shown read-only, since the next refresh replaces
    them."""

    form = KnownNetworkForm
    list_display = ["network", "kind", "name", "origin", "source", "source_version", "refreshed_at"]
    list_filter = ["kind", "origin", "source"]
    search_fields = ["name"]
    search_help_text = "An address or network (finds the known networks overlapping it), or part of a name."
    readonly_fields = ["origin", "source_version", "refreshed_at"]
    ordering = ["network"]
    show_full_result_count = False  # 64k rows: no second count on every page

    def get_search_results(self, request, queryset, search_term):
        try:
            network = ipaddress.ip_network(search_term.strip(), strict=False)
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        # Uses known_network_gist.
        return queryset.filter(network__net_overlaps=str(network)), False

    def _is_admins(self, obj) -> bool:
        return obj is None or obj.origin == KnownNetwork.Origin.ADMIN

    def has_change_permission(self, request, obj=None):
        return self._is_admins(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_admins(obj) and super().has_delete_permission(request, obj)


@admin.register(ReporterStanding)
class ReporterStandingAdmin(admin.ModelAdmin):
    """Each reporter's trust, with its reasons; suspending one takes its
    weight out of every public output at once (incidents.trust.standings)."""

    list_display = ["reporter", "counts", "score", "group", "vouched", "suspended_at", "computed_at"]
    list_filter = ["counts", "vouched", ("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["reporter__email"]
    readonly_fields = [
        "reporter",
        "counts",
        "group",
        "score",
        "components",
        "reason_list",
        "computed_at",
        "suspended_at",
    ]
    fields = [*readonly_fields, "vouched", "suspended_reason"]
    actions = ["suspend", "reinstate", "vouch", "unvouch", "recompute"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Why")
    def reason_list(self, obj):
        return format_html_join(mark_safe("<br>"), "{}", ((r,) for r in obj.reasons))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        standings.standings_refresh()
        _rebuild_blocklist()

    @admin.action(description="Suspend: count for nothing public, past reports included", permissions=["change"])
    def suspend(self, request, queryset):
        for standing in queryset:
            standings.reporter_suspend(
                reporter_id=standing.reporter_id,
                reason=standing.suspended_reason or f"suspended by {request.user}",
            )
        _rebuild_blocklist()
        self.message_user(request, f"{queryset.count()} suspended; today's block list is being rebuilt.")

    @admin.action(description="Reinstate", permissions=["change"])
    def reinstate(self, request, queryset):
        for standing in queryset:
            standings.reporter_reinstate(reporter_id=standing.reporter_id)
        _rebuild_blocklist()

    @admin.action(description="Vouch for (probation and score do not apply)", permissions=["change"])
    def vouch(self, request, queryset):
        for standing in queryset:
            standings.reporter_vouch(reporter_id=standing.reporter_id)

    @admin.action(description="Stop vouching", permissions=["change"])
    def unvouch(self, request, queryset):
        for standing in queryset:
            standings.reporter_vouch(reporter_id=standing.reporter_id, vouched=False)
        _rebuild_blocklist()

    @admin.action(description="Recompute all standings now", permissions=["change"])
    def recompute(self, request, queryset):
        counts = standings.standings_refresh()
        self.message_user(request, f"{counts['counting']} reporters count, {counts['not counting']} do not.")


def _rebuild_blocklist() -> None:
    # By name: the block list lives in reports, a layer above this app.
    transaction.on_commit(lambda: current_app.send_task("reports.tasks.rebuild_blocklist"))
