"""Reads of the catalogs."""

from apps.catalogs.keys import CatalogKeys
from apps.catalogs.models import Action, DataCategory, Signal, Template


def catalog_keys(*, organization) -> CatalogKeys:
    from apps.organizations.models import Team

    def keys(model) -> frozenset[str]:
        return frozenset(
            model.objects.filter(organization=organization).values_list("key", flat=True)
        )

    return CatalogKeys(
        actions=keys(Action),
        signals=keys(Signal),
        data_categories=keys(DataCategory),
        templates=keys(Template),
        teams=keys(Team),
    )


def actions_list(*, organization):
    return Action.objects.filter(organization=organization).order_by("key")


def signals_list(*, organization):
    return Signal.objects.filter(organization=organization).order_by("key")


def data_categories_list(*, organization):
    return DataCategory.objects.filter(organization=organization).order_by("key")


def templates_list(*, organization):
    return (
        Template.objects.filter(organization=organization)
        .prefetch_related("versions")
        .order_by("key")
    )
