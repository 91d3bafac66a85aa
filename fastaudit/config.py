"""Settings from `[tool.fastaudit]` in `pyproject.toml`, else `.fastaudit.toml`.

Unknown keys are refused rather than ignored: a misspelt `max_age_day` that silently kept
the default would make an audit report lie about what it checked.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.detect import DEFAULT_MAX_LENGTH, DEFAULT_MIN_LENGTH, DEFAULT_PREFIXES, KeySpec
from fastaudit.errors import ConfigError
from fastaudit.findings import Severity

if TYPE_CHECKING:
    from fastaudit.http import SafeClient

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Config:
    """Every tunable, with the defaults the rule catalogue documents."""

    # Detection
    extra_prefixes: tuple[str, ...] = ()
    min_length: int = DEFAULT_MIN_LENGTH
    max_length: int = DEFAULT_MAX_LENGTH
    exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    # Hygiene checks
    max_age_days: int = 90
    rotation_overlap_days: int = 7
    stale_after_days: int = 45
    unused_grace_days: int = 14
    wide_ipv4_prefix: int = 24
    wide_ipv6_prefix: int = 32
    production_environments: tuple[str, ...] = ("production", "prod")
    # Network (inventory URL, verification)
    http_timeout_seconds: float = 20.0
    http_deadline_seconds: float = 120.0
    http_max_response_bytes: int = 64 * 1024 * 1024
    http_retries: int = 3
    # Verification
    verify_cache_hours: float = 24.0
    verify_limit: int = 100
    verify_concurrency: int = 4
    source: str = field(default="defaults", compare=False)

    def http_client(self) -> SafeClient:
        """The HTTPS client every remote source and verification uses, with these limits."""
        from fastaudit.http import SafeClient

        return SafeClient(
            timeout=self.http_timeout_seconds,
            retries=self.http_retries,
            deadline=self.http_deadline_seconds,
            max_bytes=self.http_max_response_bytes,
        )

    @property
    def key_spec(self) -> KeySpec:
        return KeySpec(
            prefixes=tuple(dict.fromkeys(DEFAULT_PREFIXES + self.extra_prefixes)),
            min_length=self.min_length,
            max_length=self.max_length,
        )


_ALIASES = {"prefixes": "extra_prefixes"}


def _coerce(name: str, value: Any, default: Any) -> Any:
    where = f"setting {name!r}"
    if isinstance(default, Severity):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a severity name, got {value!r}")
        try:
            return Severity.parse(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(value)
    if isinstance(default, bool) or isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if isinstance(default, int):
        if not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where} must be a whole number >= 0, got {value!r}")
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{where} must be a number >= 0, got {value!r}")
        return float(value)
    return value


def from_mapping(table: Mapping[str, Any], source: str) -> Config:
    """Build a Config from a `[tool.fastaudit]`-shaped table, refusing unknown keys."""
    defaults = Config()
    known = {f.name for f in fields(Config)} - {"source"}
    values: dict[str, Any] = {}
    for raw_name, value in table.items():
        name = _ALIASES.get(raw_name, raw_name)
        if name not in known:
            raise ConfigError(f"{source}: unknown setting {raw_name!r}")
        values[name] = _coerce(raw_name, value, getattr(defaults, name))
    config = Config(**values, source=source)
    try:
        config.key_spec  # noqa: B018 - validate prefixes and lengths now, not mid-scan
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def load(explicit: Path | None = None, root: Path | None = None) -> Config:
    """The configuration in force: `explicit` if given, else discovered under `root`."""
    if explicit is not None:
        document = _read_toml(explicit)
        table = document.get("tool", {}).get("fastaudit")
        if table is None:
            table = document
        if not isinstance(table, dict):
            raise ConfigError(f"{explicit}: [tool.fastaudit] must be a table")
        return from_mapping(table, str(explicit))
    root = root or Path.cwd()
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("fastaudit")
        if isinstance(table, dict):
            return from_mapping(table, f"{pyproject} [tool.fastaudit]")
    dotfile = root / ".fastaudit.toml"
    if dotfile.is_file():
        document = _read_toml(dotfile)
        table = document.get("tool", {}).get("fastaudit", document)
        return from_mapping(table, str(dotfile))
    return Config()
