"""Turning posted form data into service arguments, and service errors into per-input messages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict

from designer.schema.types import normalize_type

# What the Type select offers: (value, label). Values are families or aliases ``normalize_type`` knows.
TYPE_CHOICES = [
    ("text", "text"),
    ("varchar", "varchar(n)"),
    ("integer", "integer"),
    ("bigint", "bigint"),
    ("smallint", "smallint"),
    ("decimal", "decimal(p,s)"),
    ("float", "float"),
    ("boolean", "boolean"),
    ("date", "date"),
    ("timestamp", "timestamp"),
    ("timestamptz", "timestamptz"),
    ("time", "time"),
    ("json", "json"),
    ("uuid", "uuid"),
]
ACTIONS = [
    ("no_action", "No action"),
    ("restrict", "Restrict"),
    ("cascade", "Cascade"),
    ("set_null", "Set null"),
    ("set_default", "Set default"),
]


def type_choice(family: str, config: dict[str, Any]) -> str:
    """The Type select value that shows a stored (family, config)."""
    if family == "text":
        return "varchar" if config.get("max_length") else "text"
    if family in ("number", "date"):
        return config.get("kind", "integer" if family == "number" else "timestamptz")
    return family


def checked(data: QueryDict, key: str) -> bool:
    return data.get(key) in ("on", "true", "1", "yes")


def field_type_from(data: QueryDict) -> tuple[str, dict[str, Any]]:
    """(data_type, field_config) from the Type select and its option inputs (Length, Precision, Scale...)."""
    config: dict[str, Any] = {}
    for key in ("max_length", "precision", "scale", "choices"):
        value = (data.get(key) or "").strip()
        if value:
            config[key] = value
    if checked(data, "identity"):
        config["identity"] = True
    return (data.get("data_type") or "").strip(), config


def field_kwargs(data: QueryDict) -> dict[str, Any]:
    data_type, config = field_type_from(data)
    return {
        "field_name": (data.get("field_name") or "").strip(),
        "data_type": data_type,
        "field_config": config,
        "is_required": checked(data, "is_required"),
        "is_unique": checked(data, "is_unique"),
        "primary_key": checked(data, "primary_key"),
        "default_value": data.get("default_value") or None,
        "description": data.get("description") or "",
    }


def error_dict(exc: ValidationError | PermissionDenied, inputs: set[str], rename: dict[str, str] | None = None):
    """Messages keyed by the form's input names; anything that names no input goes under ``form``."""
    if isinstance(exc, PermissionDenied):
        return {"form": [str(exc) or "You may not change this."]}
    raw = exc.message_dict if hasattr(exc, "error_dict") else {"form": list(exc.messages)}
    out: dict[str, list[str]] = {}
    for key, messages in raw.items():
        key = (rename or {}).get(key, key)
        out.setdefault(key if key in inputs else "form", []).extend(messages)
    return out


# A type-option message names the option it is about (designer/schema/types.py): shown beside that input.
OPTION_MESSAGES = [
    ("max_length", "max_length"),
    ("every choice must fit max_length", "choices"),
    ("choices", "choices"),
    ("precision", "precision"),
    ("decimal scale needs a precision", "precision"),
    ("decimal scale", "scale"),
    ("scale", "scale"),
    ("identity", "identity"),
]


def field_error_dict(exc: ValidationError | PermissionDenied, inputs: set[str]) -> dict[str, list[str]]:
    """Like :func:`error_dict` for the field form, with each type-option message beside its option's input
    (Length, Precision, Scale, Choices, Identity); one naming no option stays under the options."""
    out = error_dict(exc, inputs | {"field_config"})
    for message in out.pop("field_config", []):
        key = next((key for prefix, key in OPTION_MESSAGES if message.startswith(prefix)), "field_config")
        out.setdefault(key, []).append(message)
    return out


def field_changes(field, posted: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values that differ from the stored field (``field_kwargs`` output), so the service
    re-checks only what changed. The default is always passed: it is re-validated against the type."""
    current = {
        "field_name": field.field_name,
        "is_required": field.is_required,
        "is_unique": field.is_unique,
        "primary_key": field.pk_position is not None,
        "description": field.description,
    }
    out = {key: value for key, value in posted.items() if key in current and value != current[key]}
    try:
        same_type = normalize_type(posted["data_type"], posted["field_config"]) == normalize_type(
            field.data_type, field.field_config
        )
    except ValidationError:
        same_type = False  # let the service report it
    if not same_type:
        out["data_type"], out["field_config"] = posted["data_type"], posted["field_config"]
    out["default_value"] = posted["default_value"]
    if "field_name" in out and field.name == field.field_name:
        out["name"] = out["field_name"]  # the display name follows an identifier it was equal to
    return out
