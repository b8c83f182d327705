from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path

from . import fightback, listings
from .models import AbuseReport, AbuseResponse, ListingReview, NetworkContact, SuspiciousPort


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
    fields = ["kind", "verified", "verification", "sender", "subject", "excerpt", "received_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(AbuseReport)
class AbuseReportAdmin(admin.ModelAdmin):
    """The forwarding queue (awaiting approval, queued), what went out (sent)
    and what failed; "Preview next run" shows what FightBack would do now,
    changing nothing. Replies show whether they are verified: only a
    verified one is the desk's answer."""

    list_display = ["source_ip", "contact", "state", "outcome", "events", "reporters", "created_at", "sent_at"]
    list_filter = ["state", "outcome"]
    list_editable = ["outcome"]
    search_fields = ["source_ip", "contact__organisation"]
    raw_id_fields = ["contact"]
    readonly_fields = ["token", "created_at", "sent_to", "reviewed_by", "reviewed_at"]
    inlines = [AbuseResponseInline]
    change_list_template = "admin/reports/abusereport/change_list.html"
    actions = ["approve", "reject"]

    @admin.action(description="Approve the selected first reports: send them", permissions=["change"])
    def approve(self, request, queryset):
        approved = fightback.approve(queryset, by=request.user)
        self.message_user(request, f"Approved {approved} reports; they are being sent.", messages.SUCCESS)
        self._not_waiting(request, queryset.count() - approved)

    @admin.action(description="Reject the selected first reports: never send them", permissions=["change"])
    def reject(self, request, queryset):
        rejected = fightback.reject(queryset, by=request.user)
        self.message_user(request, f"Rejected {rejected} reports.", messages.SUCCESS)
        self._not_waiting(request, queryset.count() - rejected)

    def _not_waiting(self, request, skipped):
        if skipped:
            self.message_user(request, f"{skipped} were not awaiting approval: left as they are.", messages.WARNING)

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", preview, name="reports_abusereport_preview"), *super().get_urls()]

    def preview_view(self, request):
        context = {
            **self.admin_site.each_context(request),
            "title": "FightBack: what the next run would do",
            "decisions": fightback.plan(),
            "min_reporters": fightback.min_reporters(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reports/abusereport/preview.html", context)


@admin.register(SuspiciousPort)
class SuspiciousPortAdmin(admin.ModelAdmin):
    list_display = ["protocol", "port", "note"]
    list_filter = ["protocol"]
    search_fields = ["note", "port"]


# --- Bulk arrangements (reports.bulk) ---------------------------------------------

from datetime import timedelta  # noqa: E402

from django.shortcuts import get_object_or_404  # noqa: E402
from django.utils import timezone  # noqa: E402

from . import bulk  # noqa: E402
from .models import BulkArrangement, BulkReport  # noqa: E402

BULK_INLINE_DAYS = 90


class BulkReportInline(admin.TabularInline):
    model = BulkReport
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["period_start", "period_end", "sources", "sent_at", "created_at"]
    readonly_fields = fields
    ordering = ["-period_start"]
    show_change_link = True

    def get_queryset(self, request):
        # The recent ones: an arrangement of years has hundreds.
        since = timezone.now() - timedelta(days=BULK_INLINE_DAYS)
        return super().get_queryset(request).filter(period_start__gte=since)


@admin.register(BulkArrangement)
class BulkArrangementAdmin(admin.ModelAdmin):
    list_display = ["contact", "cadence", "format", "threshold", "send_mail", "active", "covered_until"]
    list_filter = ["active", "cadence", "format", "send_mail"]
    search_fields = ["contact__organisation", "recipients", "netblocks"]
    raw_id_fields = ["contact"]
    readonly_fields = ["download_token", "created_at"]
    inlines = [BulkReportInline]
    change_form_template = "admin/reports/bulkarrangement/change_form.html"

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:pk>/preview/", preview, name="reports_bulkarrangement_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        """What the next summary would say and to whom; changes nothing."""
        arrangement = get_object_or_404(BulkArrangement.objects.select_related("contact"), pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Next bulk summary: {arrangement}",
            "preview": bulk.preview(arrangement),
            "arrangement": arrangement,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/reports/bulkarrangement/preview.html", context)


@admin.register(BulkReport)
class BulkReportAdmin(admin.ModelAdmin):
    list_display = ["arrangement", "period_start", "period_end", "sources", "sent_at"]
    list_filter = ["arrangement__cadence", "arrangement__format"]
    search_fields = ["arrangement__contact__organisation"]
    readonly_fields = ["arrangement", "period_start", "period_end", "sources", "body", "created_at", "sent_at"]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Resend the selected summaries (same text, no new period)")
    def resend(self, request, queryset):
        sent = sum(bulk.resend(report) for report in queryset.select_related("arrangement__contact"))
        skipped = queryset.count() - sent
        self.message_user(request, f"Resent {sent} summaries.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} had nothing to resend (empty, or no address).", messages.WARNING)


@admin.register(ListingReview)
class ListingReviewAdmin(admin.ModelAdmin):
    """Block-list holds and appeals (reports.listings): waiting ones first,
    requests from the network's own abuse domain before others."""

    list_display = ["network", "kind", "status", "from_owner", "requester_email", "created_at", "decided_at"]
    list_filter = ["status", "kind", "from_owner"]
    search_fields = ["requester_email", "message"]
    readonly_fields = [
        "network",
        "kind",
        "status",
        "requester_email",
        "requester_name",
        "message",
        "from_owner",
        "evidence",
        "groups_at_decision",
        "decided_at",
        "decided_by",
        "delisted_until",
        "created_at",
    ]
    fields = [*readonly_fields, "decision_note"]
    actions = ["delist", "keep_listed", "dismiss"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, *, delist: bool):
        for review in queryset:
            listings.review_decide(review=review, delist=delist, by=request.user, note=review.decision_note)
        self.message_user(request, f"{queryset.count()} decided; today's block list is being rebuilt.")

    @admin.action(description="Delist the network (and tell the requester)", permissions=["change"])
    def delist(self, request, queryset):
        self._decide(request, queryset, delist=True)

    @admin.action(description="Keep it listed / approve the hold (and tell the requester)", permissions=["change"])
    def keep_listed(self, request, queryset):
        self._decide(request, queryset, delist=False)

    @admin.action(description="Dismiss without notice (spam, duplicate)", permissions=["change"])
    def dismiss(self, request, queryset):
        for review in queryset:
            listings.review_dismiss(review=review, by=request.user)
