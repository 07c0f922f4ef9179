"""What PostgreSQL refuses to store, refused first with a message naming the field (never a server error).

Every save of a designer model passes :func:`refuse_unstorable` (a ``pre_save`` receiver, connected in
``DesignerConfig.ready``): text with a NUL character (PostgreSQL text cannot hold ``\\x00``), text longer than its
column, and whole numbers outside their column's PostgreSQL range (on SQLite too) raise a ``ValidationError``
keyed by the field's name, which the views show beside the input of that name. Services still check their own
rules first, with their own wording.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

# PostgreSQL's ranges (Django's base ones), on every backend: a value SQLite would take must not be one that the
# same design cannot store on PostgreSQL.
PG_INTEGER_RANGES = BaseDatabaseOperations.integer_field_ranges


def unstorable_errors(instance: models.Model) -> dict[str, list[str]]:
    """Per field name, why its value cannot be stored (empty when everything can)."""
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        label = str(field.verbose_name).capitalize()
        if isinstance(value, str):
            if "\x00" in value:
                errors[field.name] = [f"{label} cannot contain the NUL character (\\x00). Remove it and try again."]
            elif field.max_length and len(value) > field.max_length:
                errors[field.name] = [f"{label} is {len(value):,} characters long; the limit is {field.max_length:,}."]
        elif isinstance(value, int) and not isinstance(value, bool) and isinstance(field, models.IntegerField):
            low, high = PG_INTEGER_RANGES.get(field.get_internal_type(), (None, None))
            if (low is not None and value < low) or (high is not None and value > high):
                errors[field.name] = [f"{label} must be between {low:,} and {high:,}; {value:,} is out of range."]
    return errors


def refuse_unstorable(sender, instance: models.Model, **kwargs) -> None:
    errors = unstorable_errors(instance)
    if errors:
        raise ValidationError(errors)
