from django.apps import AppConfig


class CatalogsConfig(AppConfig):
    name = "apps.catalogs"
    label = "catalogs"
