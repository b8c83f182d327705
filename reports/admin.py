from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from . import fightback
from .models import AbuseReport, AbuseResponse, NetworkContact, SuspiciousPort


@admin.register(NetworkContact)
class NetworkContactAdmin(admin.ModelAdmin):
    list_display = ["organisation", "netblock", "asn", "country", "preference", "source", "last_checked"]
    list_filter = ["source", "preference", "country"]
    search_fields = ["organisation", "abuse_emails", "notes"]
    readonly_fields = ["last_checked", "refresh_after"]

    def get_search_results(self, request, queryset, search_term):
        """Also find contacts by an address inside their netblock, a netblock, or an ASN (AS64500 or 64500)."""
        import ipaddress

        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        try:
            network = ipaddress.ip_network(term, strict=False)
        except ValueError:
            network = None
        if network is not None:
            results |= queryset.filter(netblock__net_contains_or_equals=str(network))
        asn = term.upper().removeprefix("AS")
        if asn.isdigit():
            results |= queryset.filter(asn=int(asn))
        return results, may_have_duplicates


class AbuseResponseInline(admin.TabularInline):
    model = AbuseResponse
    extra = 0
    readonly_fields = ["kind", "sender", "subject", "excerpt", "received_at"]
    can_delete = False


@admin.register(AbuseReport)
class AbuseReportAdmin(admin.ModelAdmin):
    """The forwarding queue (queued), what went out (sent) and what failed;
    "Preview next run" shows what FightBack would do now, changing nothing."""

    list_display = ["source_ip", "contact", "state", "outcome", "events", "reporters", "created_at", "sent_at"]
    list_filter = ["state", "outcome"]
    list_editable = ["outcome"]
    search_fields = ["source_ip", "contact__organisation"]
    raw_id_fields = ["contact"]
    readonly_fields = ["token", "created_at", "sent_to"]
    inlines = [AbuseResponseInline]
    change_list_template = "admin/reports/abusereport/change_list.html"

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", preview, name="reports_abusereport_preview"), *super().get_urls()]

    def preview_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "FightBack: what the next run would do",
            "decisions": fightback.plan(),
            "min_reporters": settings.FIGHTBACK_MIN_REPORTERS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reports/abusereport/preview.html", context)


@admin.register(SuspiciousPort)
class SuspiciousPortAdmin(admin.ModelAdmin):
    list_display = ["protocol", "port", "note"]
    list_filter = ["protocol"]
    search_fields = ["note", "port"]
