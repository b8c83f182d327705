from django.urls import path

from . import rule_views, views

urlpatterns = [
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/new/", views.submission_new, name="submission-new"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<int:pk>/progress.json", views.submission_progress, name="submission-progress"),
    path("rules/", rule_views.rule_list, name="rule-list"),
    path("rules/<int:pk>/delete/", rule_views.rule_delete, name="rule-delete"),
]
