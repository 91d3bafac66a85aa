"""Settings from `[tool.fastaudit]` in `pyproject.toml`, else `.fastaudit.toml`.

Unknown keys are refused rather than ignored: a misspelt `max_age_day` that silently kept
the default would make an audit report lie about what it checked.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.detect import (
    DEFAULT_MAX_FINDINGS_PER_RULE,
    DEFAULT_MAX_LENGTH,
    DEFAULT_MIN_LENGTH,
    DEFAULT_PREFIXES,
    MAX_KEY_LENGTH,
    KeySpec,
)
from fastaudit.errors import ConfigError
from fastaudit.findings import Severity
from fastaudit.limits import UnwrapLimits

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
    # Keys accepted by fingerprint (the sha256 every report shows): `<sha256>` anywhere,
    # `<sha256>:<path>` at one path.
    allow_fingerprints: tuple[str, ...] = ()
    max_findings_per_file: int = DEFAULT_MAX_FINDINGS_PER_RULE
    # Keys in disguise: encodings, compressed data, archives, split literals, notebooks.
    unwrap: bool = True
    unwrap_max_depth: int = 4
    unwrap_max_member_bytes: int = 64 * 1024 * 1024
    unwrap_max_total_bytes: int = 256 * 1024 * 1024
    unwrap_max_file_bytes: int = 64 * 1024 * 1024
    unwrap_max_entries: int = 10_000
    unwrap_max_ratio: float = 1000.0
    unwrap_max_seconds: float = 30.0
    fail_on: Severity = Severity.LOW
    # Content that could not be opened (a limit, a corrupt or encrypted container, a file
    # too large to unpack) fails the run (exit 2) unless a finding already does: a gate
    # never passes on what it did not see. false: a warning only.
    fail_on_unopened: bool = True
    # Hygiene checks
    max_age_days: int = 90
    rotation_overlap_days: int = 7
    stale_after_days: int = 45
    unused_grace_days: int = 14
    wide_ipv4_prefix: int = 24
    wide_ipv6_prefix: int = 32
    production_environments: tuple[str, ...] = ("production", "prod")
    # Audit store trends: days a finding of each severity may stay open (its SLA).
    sla_days_critical: int = 7
    sla_days_high: int = 30
    sla_days_medium: int = 90
    sla_days_low: int = 180
    sla_days_info: int = 365
    # Network (inventory URL, verification)
    http_timeout_seconds: float = 20.0
    http_deadline_seconds: float = 120.0
    http_max_response_bytes: int = 64 * 1024 * 1024
    http_retries: int = 3
    # Cloning or fetching one repository (audit mirrors, CI deepening), when no
    # --repo-timeout is given.
    git_network_timeout_seconds: float = 600.0
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
    def sla_days(self) -> dict[str, int]:
        """Days a finding of each severity may stay open, by severity label."""
        return {
            "critical": self.sla_days_critical,
            "high": self.sla_days_high,
            "medium": self.sla_days_medium,
            "low": self.sla_days_low,
            "info": self.sla_days_info,
        }

    @property
    def key_spec(self) -> KeySpec:
        """The one definition of a key these settings describe (prefixes, lengths, limits)."""
        return KeySpec(
            prefixes=tuple(dict.fromkeys(DEFAULT_PREFIXES + self.extra_prefixes)),
            min_length=self.min_length,
            max_length=self.max_length,
            max_findings_per_rule=self.max_findings_per_file,
            unwrap=UnwrapLimits(
                enabled=self.unwrap,
                max_depth=self.unwrap_max_depth,
                max_member_bytes=self.unwrap_max_member_bytes,
                max_total_bytes=self.unwrap_max_total_bytes,
                max_file_bytes=self.unwrap_max_file_bytes,
                max_entries=self.unwrap_max_entries,
                max_ratio=self.unwrap_max_ratio,
                max_seconds=self.unwrap_max_seconds,
            ),
        )


_ALIASES = {"prefixes": "extra_prefixes"}

# Bounds for numeric settings (inclusive): a value outside them is refused, never used.
# A scanned repository's own pyproject.toml can set these, so none may make a scan
# unbounded, and none may be zero where zero means "never" or "divide by nothing".
_BOUNDS: dict[str, tuple[float, float]] = {
    "min_length": (8, MAX_KEY_LENGTH),
    "git_network_timeout_seconds": (1, 86_400),
    "max_length": (8, MAX_KEY_LENGTH),
    "max_findings_per_file": (1, 1_000_000),
    "max_age_days": (1, 36_500),
    "rotation_overlap_days": (0, 36_500),
    "stale_after_days": (1, 36_500),
    "unused_grace_days": (0, 36_500),
    "sla_days_critical": (0, 36_500),
    "sla_days_high": (0, 36_500),
    "sla_days_medium": (0, 36_500),
    "sla_days_low": (0, 36_500),
    "sla_days_info": (0, 36_500),
    "wide_ipv4_prefix": (0, 32),
    "wide_ipv6_prefix": (0, 128),
    "http_timeout_seconds": (0.001, 3600),
    "http_deadline_seconds": (0.001, 86_400),
    "http_max_response_bytes": (1024, 16 * 1024**3),
    "http_retries": (0, 20),
    "verify_cache_hours": (0, 87_600),
    "verify_limit": (0, 1_000_000),
    "verify_concurrency": (1, 64),
    "unwrap_max_depth": (0, 32),
    "unwrap_max_member_bytes": (1024, 16 * 1024**3),
    "unwrap_max_total_bytes": (1024, 64 * 1024**3),
    "unwrap_max_file_bytes": (1024, 16 * 1024**3),
    "unwrap_max_entries": (1, 10_000_000),
    "unwrap_max_ratio": (1, 1_000_000),
    "unwrap_max_seconds": (0.001, 86_400),
}


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
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    low, high = _BOUNDS.get(name, (0, 2**31))
    if isinstance(default, int):
        if not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"{where} must be a whole number from {low:g} to {high:g}, got {value!r}"
            )
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or not (low <= value <= high):  # NaN fails too
            raise ConfigError(f"{where} must be a number from {low:g} to {high:g}, got {value!r}")
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
    if config.exclude:
        _check_exclude(config.exclude, source)
    for value in config.allow_fingerprints:
        if not _FINGERPRINT.fullmatch(value.partition(":")[0]):
            raise ConfigError(
                f"{source}: setting 'allow_fingerprints' needs a 64-digit hex sha256 "
                f"(optionally ':path'), got {value[:80]!r}"
            )
    return config


_FINGERPRINT = re.compile(r"[0-9a-fA-F]{64}")


def _check_exclude(patterns: tuple[str, ...], source: str) -> None:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines(patterns)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{source}: setting 'exclude' has an invalid pattern: {exc}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text (TOML must be)") from None
    except RecursionError:
        raise ConfigError(f"{path} nests too deeply to read") from None


def load(explicit: Path | None = None, root: Path | None = None) -> Config:
    """The configuration in force: `explicit` if given, else discovered under `root`."""
    if explicit is not None:
        document = _read_toml(explicit)
        tool = document.get("tool", {})
        table = tool.get("fastaudit") if isinstance(tool, dict) else None
        if table is None:
            table = document
        if not isinstance(table, dict):
            raise ConfigError(f"{explicit}: [tool.fastaudit] must be a table")
        return from_mapping(table, str(explicit))
    root = root or Path.cwd()
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{pyproject}: [tool] must be a table")
        table = tool.get("fastaudit")
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"{pyproject}: [tool.fastaudit] must be a table, got {table!r}")
        if isinstance(table, dict):
            return from_mapping(table, f"{pyproject} [tool.fastaudit]")
    dotfile = root / ".fastaudit.toml"
    if dotfile.is_file():
        document = _read_toml(dotfile)
        tool = document.get("tool", {})
        table = tool.get("fastaudit", document) if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ConfigError(f"{dotfile}: [tool.fastaudit] must be a table")
        return from_mapping(table, str(dotfile))
    return Config()
