from django.core.management.base import BaseCommand
from django.db.models import Count

from incidents.trust.known_networks import known_networks_refresh
from incidents.trust.models import KnownNetwork


class Command(BaseCommand):
    help = (
        "Reload the known networks (public resolvers, CDNs, root servers, research scanners, "
        "PORTAL_OWN_NETWORKS) from the packages and settings; rows admins added stay."
    )

    def handle(self, *args, **options):
        known_networks_refresh()
        sources = (
            KnownNetwork.objects.values("origin", "kind", "source", "source_version")
            .annotate(networks=Count("id"))
            .order_by("origin", "kind", "source")
        )
        for s in sources:
            version = f" (version {s['source_version']})" if s["source_version"] else ""
            self.stdout.write(f"{s['networks']:7d}  {s['origin']:8}{s['kind']:8}{s['source'] or '-'}{version}")
        self.stdout.write(f"{sum(s['networks'] for s in sources):7d}  known networks in all")
