from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "incidents.trust"
    label = "trust"
    verbose_name = "Trust"
