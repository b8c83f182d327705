import ipaddress

from django import forms
from django.contrib import admin

from .models import KnownNetwork


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
