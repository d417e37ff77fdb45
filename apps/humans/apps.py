from django.apps import AppConfig


class HumansConfig(AppConfig):
    name = "apps.humans"
    label = "humans"
    verbose_name = "Approvals and handoffs"
