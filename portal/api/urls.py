"""The API's one registry: /api/v1/. A new resource is a module beside these
and a line here (a viewset on the router, or a path for a single view)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from . import blocklist, dshield, lookups, reports, rules, schema, submissions, top  # noqa: F401  (schema registers extensions)

app_name = "api"

router = DefaultRouter()
router.register("submissions", submissions.SubmissionViewSet, basename="submission")
router.register("rules", rules.FilterRuleViewSet, basename="rule")
router.register("portal-rules", rules.PortalRuleViewSet, basename="portal-rule")

# The schema and its docs are public (rate-limited as anonymous requests):
# they describe the API, not anyone's data.
public = {"permission_classes": [AllowAny], "authentication_classes": []}

urlpatterns = [
    *router.urls,
    path("report/", reports.PersonalReportView.as_view(), name="report"),
    path("report/sources/<str:source_ip>/", reports.SourceDetailView.as_view(), name="report-source"),
    path("dshield/key/", dshield.DShieldKeyView.as_view(), name="dshield-key"),
    path("dshield/submitapi/", dshield.SubmitApiView.as_view(), name="dshield-submitapi"),
    path("dshield/file/dshieldlog", dshield.DShieldLogView.as_view(), name="dshield-log"),
    # The public look-ups, as the HTML pages (reports.public): no sign-in.
    path("ip/<str:ip>/", lookups.IpView.as_view(), name="public-ip"),
    path("ports/<str:protocol>/<int:port>/", lookups.PortView.as_view(), name="public-port"),
    path("ports/<str:protocol>/", lookups.PortlessView.as_view(), name="public-port-portless"),
    path("subnets/<str:network>/<int:prefix>/", lookups.SubnetView.as_view(), name="public-subnet"),
    path("top/", top.TopView.as_view(), name="public-top"),
    path("blocklist/", blocklist.BlockListView.as_view(), name="public-blocklist"),
    path("schema/", SpectacularAPIView.as_view(**public), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema", **public), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", **public), name="redoc"),
]
