"""Template helpers."""

import json

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def compact_json(value):
    """A stored JSON value as JSON text on one line (`{"executed": true}`, not Python's repr)."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
