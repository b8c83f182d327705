from django.urls import path

from . import views

urlpatterns = [
    path("fightback/", views.fightback_stats, name="fightback-stats"),
    path("report/sources/<str:source_ip>/", views.source_page, name="report-source"),
    path("report/ports/", views.port_view, name="report-ports"),
    path("report/filtered/", views.filtered_view, name="report-filtered"),
    path("r/<str:token>/", views.abuse_record, name="abuse-record"),
]
