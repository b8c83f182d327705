from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = admin.site.site_title = "Incident Portal admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("profile/", views.profile, name="profile"),
    path("profile/networks/add/", views.network_add, name="network-add"),
    path("profile/networks/<int:pk>/delete/", views.network_delete, name="network-delete"),
    path("profile/isp-servers/add/", views.isp_server_add, name="isp-server-add"),
    path("profile/isp-servers/<int:pk>/delete/", views.isp_server_delete, name="isp-server-delete"),
    path("profile/tokens/add/", views.token_create, name="token-create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("api/v1/", include("portal.api.urls")),
    path("profile/export/", views.account_export, name="account-export"),
    path("profile/delete/", views.account_delete, name="account-delete"),
    path("", include("incidents.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
]
