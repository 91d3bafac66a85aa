"""The key inventory: metadata about every Tools.FAST key a team holds, never the keys.

Loaders for JSON, CSV and a JSON document over HTTPS all produce the same validated
records. Validation is strict and names the record and the field, because a report built
on a silently misread date or environment would mislead the team that acts on it. The
schema is `schemas/inventory.schema.json` (schema_version 1).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.errors import InputError

if TYPE_CHECKING:
    from fastaudit.http import SafeClient

SCHEMA_VERSION = 1
ENVIRONMENTS = ("production", "staging", "development", "test", "ci")
_ENV_ALIASES = {
    "production": "production",
    "prod": "production",
    "live": "production",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "development": "development",
    "dev": "development",
    "local": "development",
    "test": "test",
    "testing": "test",
    "qa": "test",
    "ci": "ci",
    "pipeline": "ci",
}
_FIELDS = (
    "id",
    "name",
    "environment",
    "created_at",
    "last_used_at",
    "allowed_ips",
    "key_hint",
    "owner",
    "deleted_at",
)
_REQUIRED = ("id", "name", "created_at")


@dataclass(frozen=True, slots=True)
class InventoryKey:
    """One key's metadata. `environment` is None when neither given nor inferable;
    `environment_inferred` says it was read from the name."""

    id: str
    name: str
    created_at: datetime
    environment: str | None = None
    environment_inferred: bool = False
    name_environments: tuple[str, ...] = ()
    last_used_at: datetime | None = None
    allowed_ips: tuple[str, ...] = ()
    key_hint: str | None = None
    owner: str | None = None
    deleted_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not deleted: a key that still authenticates, as far as the inventory says."""
        return self.deleted_at is None


@dataclass(frozen=True, slots=True)
class Inventory:
    """The key inventory as read: keys, where it came from, and notes on records that were skipped
    or odd."""

    keys: tuple[InventoryKey, ...]
    source: str
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Departure:
    """A team member who left, and when: keys older than that should have been rotated."""

    name: str
    left_at: datetime


def environments_in_name(name: str) -> tuple[str, ...]:
    """Environments a key's name mentions ("Production Backend" -> production)."""
    found: list[str] = []
    for token in re.split(r"[^a-z0-9]+", name.lower()):
        env = _ENV_ALIASES.get(token)
        if env and env not in found:
            found.append(env)
    return tuple(found)


def parse_when(value: Any, where: str) -> datetime:
    """An ISO 8601 date or date-time, as an aware UTC datetime. A bare date is midnight UTC;
    a date-time without an offset is taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"{where}: {value!r} is not an ISO 8601 date") from None
    else:
        raise InputError(f"{where}: expected an ISO 8601 date, got {value!r}")
    if not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
        raise InputError(
            f"{where}: {value!r} is outside the years {_EARLIEST_YEAR} to {_LATEST_YEAR}"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


# Dates outside this range are typos, and arithmetic on them (ages, rotation windows)
# would overflow.
_EARLIEST_YEAR = 1900
_LATEST_YEAR = 2999


def _optional_when(value: Any, where: str) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_when(value, where)


def _text(value: Any, where: str, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"{where}: is required")
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: expected text, got {type(value).__name__}")
    return value.strip()


def _ips(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in re.split(r"[\s;,]+", value) if part)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value)
    raise InputError(f"{where}: expected a list of addresses or CIDR ranges")


def key_from_record(record: Mapping[str, Any], label: str) -> InventoryKey:
    """Validate one record; `label` names it in errors (e.g. "record 3 (id k-12)")."""
    if not isinstance(record, Mapping):
        raise InputError(f"{label}: expected an object, got {type(record).__name__}")
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        raise InputError(f"{label}: unknown field {unknown[0]!r}")
    key_id = _text(record.get("id"), f"{label}: field 'id'", required=True)
    assert key_id is not None
    label = f"{label} (id {key_id})"
    name = _text(record.get("name"), f"{label}: field 'name'", required=True)
    assert name is not None
    raw_env = _text(record.get("environment"), f"{label}: field 'environment'", required=False)
    in_name = environments_in_name(name)
    inferred = False
    if raw_env is not None:
        environment: str | None = _ENV_ALIASES.get(raw_env.lower())
        if environment is None:
            raise InputError(
                f"{label}: field 'environment': unknown environment {raw_env!r} "
                f"(use one of {', '.join(ENVIRONMENTS)})"
            )
    else:
        environment = in_name[0] if len(in_name) == 1 else None
        inferred = environment is not None
    return InventoryKey(
        id=key_id,
        name=name,
        environment=environment,
        environment_inferred=inferred,
        name_environments=in_name,
        created_at=parse_when(record.get("created_at"), f"{label}: field 'created_at'"),
        last_used_at=_optional_when(record.get("last_used_at"), f"{label}: field 'last_used_at'"),
        allowed_ips=_ips(record.get("allowed_ips"), f"{label}: field 'allowed_ips'"),
        key_hint=_text(record.get("key_hint"), f"{label}: field 'key_hint'", required=False),
        owner=_text(record.get("owner"), f"{label}: field 'owner'", required=False),
        deleted_at=_optional_when(record.get("deleted_at"), f"{label}: field 'deleted_at'"),
    )


def from_document(document: Any, source: str) -> Inventory:
    """An inventory from parsed JSON: `{"schema_version": 1, "keys": [...]}` or a bare list."""
    if isinstance(document, Mapping):
        version = document.get("schema_version", SCHEMA_VERSION)
        if str(version) != str(SCHEMA_VERSION):
            raise InputError(f"{source}: unsupported inventory schema_version {version!r}")
        records = document.get("keys")
        if not isinstance(records, list):
            raise InputError(f"{source}: field 'keys' must be a list of key records")
    elif isinstance(document, list):
        records = document
    else:
        raise InputError(f"{source}: expected an object with 'keys' or a list of key records")
    return _inventory(records, source)


def _inventory(records: Sequence[Any], source: str) -> Inventory:
    keys: list[InventoryKey] = []
    seen: set[str] = set()
    mutable = isinstance(records, list)
    for index, record in enumerate(records, 1):
        key = key_from_record(record, f"{source}: record {index}")
        if mutable:
            records[index - 1] = None  # type: ignore[index]  # free each parsed record
        if key.id in seen:
            raise InputError(f"{source}: record {index}: duplicate id {key.id!r}")
        seen.add(key.id)
        keys.append(key)
    notes = tuple(
        f"{k.id} ({k.name}): environment inferred from the name as {k.environment}"
        for k in keys
        if k.environment_inferred
    )
    return Inventory(tuple(keys), source, notes)


def from_json_text(text: str, source: str) -> Inventory:
    """An inventory from JSON text; InputError names what is wrong and where."""
    from fastaudit import jsonio

    return from_document(jsonio.parse(text, source), source)


def from_csv_text(text: str, source: str) -> Inventory:
    """An inventory from CSV text (one key per row); InputError names the row."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise InputError(f"{source}: empty CSV (expected a header row)")
    header = [h.strip() for h in reader.fieldnames]
    missing = [f for f in _REQUIRED if f not in header]
    if missing:
        raise InputError(f"{source}: CSV header lacks column {missing[0]!r}")
    records: list[dict[str, Any]] = []
    for row in reader:
        cleaned = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if None in row:
            raise InputError(f"{source}: record {len(records) + 1}: more cells than columns")
        records.append({k: v for k, v in cleaned.items() if v != "" or k in _REQUIRED})
    return _inventory(records, source)


def load(path: Path) -> Inventory:
    """Read an inventory file; the format follows the suffix (.csv, else JSON)."""
    from fastaudit import jsonio

    text = jsonio.read_text(path, "inventory", encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return from_csv_text(text, str(path))
    return from_json_text(text, str(path))


def load_url(url: str, *, client: SafeClient | None = None) -> Inventory:
    """Fetch the JSON inventory over HTTPS (see `fastaudit.http`)."""
    from fastaudit.http import SafeClient, api_key_header, display_url

    client = client or SafeClient()
    response = client.get(url, headers=api_key_header(), what="inventory URL")
    if response.status_code != 200:
        raise InputError(f"inventory URL answered HTTP {response.status_code}")
    return from_json_text(response.text, display_url(url.split("?", 1)[0]))


def load_departures(path: Path) -> list[Departure]:
    """`name,left_at` rows (CSV) or a JSON list of {"name", "left_at"} (or "date")."""
    from fastaudit import jsonio

    text = jsonio.read_text(path, "departures", encoding="utf-8-sig")
    rows: list[Mapping[str, Any]]
    if path.suffix.lower() == ".csv":
        try:
            rows = list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:
            raise InputError(f"departures {path} is not valid CSV: {exc}") from None
    else:
        loaded = jsonio.parse(text, f"departures {path}")
        if not isinstance(loaded, list):
            raise InputError(f"{path}: expected a list of departures")
        rows = loaded
    departures = []
    for index, row in enumerate(rows, 1):
        where = f"{path}: record {index}"
        if not isinstance(row, Mapping):
            raise InputError(f"{where}: expected an object")
        name = _text(row.get("name"), f"{where}: field 'name'", required=True)
        assert name is not None
        when = row.get("left_at", row.get("date"))
        departures.append(Departure(name, parse_when(when, f"{where}: field 'left_at'")))
    return departures
