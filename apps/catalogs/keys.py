"""The keys a policy document may name, as a plain value (no ORM), for validation."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogKeys:
    actions: frozenset[str]
    signals: frozenset[str]
    data_categories: frozenset[str]
    templates: frozenset[str]
    teams: frozenset[str]
