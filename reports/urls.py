from django.urls import path

from . import blocklist_views, digest_views, listing_views, public_views, views

urlpatterns = [
    path("top/", public_views.top, name="public-top"),
    path("search/", public_views.search, name="public-search"),
    path("ip/<str:ip>/", public_views.ip_page, name="public-ip"),
    path("subnet/<str:network>/<int:prefix>/", public_views.subnet_page, name="public-subnet"),
    path("port/<str:protocol>/<int:port>/", public_views.port_page, name="public-port"),
    path("port/<str:protocol>/", public_views.port_page, name="public-port-portless"),
    path("fightback/", views.fightback_stats, name="fightback-stats"),
    path("report/sources/<str:source_ip>/", views.source_page, name="report-source"),
    path("report/ports/", views.port_view, name="report-ports"),
    path("report/filtered/", views.filtered_view, name="report-filtered"),
    path("r/<str:token>/", views.abuse_record, name="abuse-record"),
    path("bulk/<str:token>/latest.<str:extension>", views.bulk_latest, name="bulk-latest"),
    path("blocklist/", blocklist_views.blocklist_page, name="blocklist"),
    path("blocklist/review/status/<str:token>/", listing_views.review_status, name="listing-review-status"),
    path("blocklist/review/<str:address>/", listing_views.review_request, name="listing-review"),
    path("blocklist/signing-key.pem", blocklist_views.blocklist_key, name="blocklist-key"),
    path("blocklist/<str:name>", blocklist_views.blocklist_file, name="blocklist-file"),
    path("digest/unsubscribe/<str:token>/", digest_views.digest_unsubscribe, name="digest-unsubscribe"),
]
