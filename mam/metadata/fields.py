"""Descriptive metadata: the core fields of an asset and custom fields defined per tenant as data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mam.errors import MetadataError, NotFoundError
from mam.limits import MAX_CUSTOM_TEXT_CHARS, MAX_SHORT_FIELD_CHARS, excerpt
from mam.models import Asset, FieldDefinition, FieldKind

__all__ = [
    "CORE_FIELDS",
    "apply_descriptive",
    "define_field",
    "delete_field",
    "list_fields",
    "validate_custom",
]

CORE_FIELDS: dict[str, int | None] = {
    "programme": 200,
    "reporter": 200,
    "place": 200,
    "shoot_date": None,
    "rights": 500,
    "rights_expiry": None,
    "language": 35,
}
"""Core descriptive fields besides title, description and tags, with their longest text."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _as_date(name: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise MetadataError(
            f"{name}: {excerpt(value)} is not a date; write YYYY-MM-DD", code="field-not-date", params={"field": name}
        ) from exc


def list_fields(session: Session, tenant_id: str) -> list[FieldDefinition]:
    return list(
        session.scalars(
            select(FieldDefinition).where(FieldDefinition.tenant_id == tenant_id).order_by(FieldDefinition.name)
        )
    )


def define_field(
    session: Session,
    tenant_id: str,
    name: str,
    kind: str,
    label: str = "",
    options: list[str] | None = None,
    required: bool = False,
) -> FieldDefinition:
    """Add a custom field to a tenant's catalogue, or change its label, options and requiredness."""
    if not _NAME.match(name):
        raise MetadataError(f"field name {name!r}: use lower-case letters, digits and _, starting with a letter")
    if name in CORE_FIELDS or name in ("title", "description", "tags"):
        raise MetadataError(f"{name!r} is a core field; custom fields need another name")
    if kind not in set(FieldKind):
        raise MetadataError(f"field kind {kind!r}: use one of {', '.join(FieldKind)}")
    options = [o.strip() for o in options or [] if o.strip()]
    if kind == FieldKind.ENUM and not options:
        raise MetadataError(f"enum field {name!r} needs its options")
    existing = session.scalars(
        select(FieldDefinition).where(FieldDefinition.tenant_id == tenant_id, FieldDefinition.name == name)
    ).first()
    definition = existing or FieldDefinition(tenant_id=tenant_id, name=name)
    definition.kind, definition.label = kind, label or name
    definition.options, definition.required = options, required
    session.add(definition)
    try:
        session.commit()
    except IntegrityError as exc:  # defined at the same moment by another request
        session.rollback()
        raise MetadataError(f"field {name!r} was defined concurrently; try again") from exc
    return definition


def delete_field(session: Session, tenant_id: str, name: str) -> None:
    """Remove a definition; values already stored stay on the assets until they are edited."""
    definition = session.scalars(
        select(FieldDefinition).where(FieldDefinition.tenant_id == tenant_id, FieldDefinition.name == name)
    ).first()
    if definition is None:
        raise NotFoundError(f"no custom field {name!r} in tenant {tenant_id}")
    session.delete(definition)
    session.commit()


def _custom_value(definition: FieldDefinition, value: Any) -> Any:
    name = definition.name
    if definition.kind == FieldKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise MetadataError(
                f"{name}: {excerpt(value)} is not a number", code="custom-not-number", params={"field": name}
            )
        try:
            number = float(value)
        except ValueError as exc:
            raise MetadataError(
                f"{name}: {excerpt(value)} is not a number", code="custom-not-number", params={"field": name}
            ) from exc
        return int(number) if number.is_integer() else number
    if definition.kind == FieldKind.DATE:
        return _as_date(name, value).isoformat()
    if not isinstance(value, str):
        raise MetadataError(f"{name}: {excerpt(value)} is not text", code="custom-not-text", params={"field": name})
    text = value.strip()
    if definition.kind == FieldKind.ENUM and text not in definition.options:
        options = ", ".join(definition.options)
        raise MetadataError(
            f"{name}: {excerpt(text)} is not one of {options}",
            code="custom-not-option",
            params={"field": name, "options": options},
        )
    limit = MAX_SHORT_FIELD_CHARS if definition.kind == FieldKind.KEYWORD else MAX_CUSTOM_TEXT_CHARS
    if len(text) > limit:
        raise MetadataError(
            f"{name}: {excerpt(text)} is too long; a {definition.kind} value is at most {limit} characters",
            code="custom-too-long",
            params={"field": name, "limit": limit},
        )
    return text


def validate_custom(
    definitions: list[FieldDefinition], current: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge ``changes`` into ``current`` custom values (``None`` removes one) and validate the result."""
    by_name = {d.name: d for d in definitions}
    merged = dict(current)
    for name, value in changes.items():
        if name not in by_name:
            known = ", ".join(by_name) or "none defined"
            raise MetadataError(
                f"unknown custom field {excerpt(name)} (this tenant's fields: {known})",
                code="custom-unknown",
                params={"field": excerpt(name, 64)},
            )
        if value is None or value == "":
            merged.pop(name, None)
        else:
            merged[name] = _custom_value(by_name[name], value)
    missing = [d.name for d in definitions if d.required and d.name not in merged]
    if missing:
        listed = ", ".join(missing)
        raise MetadataError(
            f"required custom field(s) missing: {listed}", code="custom-required", params={"fields": listed}
        )
    return merged


def apply_descriptive(session: Session, asset: Asset, changes: Mapping[str, Any]) -> None:
    """Set core fields and custom values on ``asset`` (not committed). Raises MetadataError."""
    for name, value in changes.items():
        if name == "custom":
            continue
        if name not in CORE_FIELDS:
            raise MetadataError(
                f"unknown descriptive field {excerpt(name)}", code="field-unknown", params={"field": excerpt(name, 64)}
            )
        limit = CORE_FIELDS[name]
        if limit is None:
            setattr(asset, name, None if value in (None, "") else _as_date(name, value))
            continue
        text = "" if value is None else str(value).strip()
        if len(text) > limit:
            raise MetadataError(
                f"{name} is at most {limit} characters", code="field-too-long", params={"field": name, "limit": limit}
            )
        setattr(asset, name, text)
    if "custom" in changes:
        custom = changes["custom"] or {}
        if not isinstance(custom, Mapping):
            raise MetadataError("custom must be an object of field names to values", code="custom-not-object")
        asset.custom = validate_custom(list_fields(session, asset.tenant_id), asset.custom or {}, custom)
