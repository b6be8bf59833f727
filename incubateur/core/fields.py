"""Small helpers on model instances that several apps' services share."""

from django.db import models


def save_changed(obj: models.Model, values: dict) -> list[str]:
    """Set the fields of `obj` that differ from `values` and save only those; returns their names (empty when
    nothing changed, and then nothing is written)."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    return changed
