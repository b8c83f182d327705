from django.contrib import admin

from .models import AbuseReport, NetworkContact


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


@admin.register(AbuseReport)
class AbuseReportAdmin(admin.ModelAdmin):
    list_display = ["source_ip", "contact", "state", "events", "reporters", "created_at", "sent_at"]
    list_filter = ["state"]
    search_fields = ["source_ip", "contact__organisation"]
    raw_id_fields = ["contact"]
    readonly_fields = ["token", "created_at"]
