"""Typed errors. The CLI turns each into one line on stderr and its exit code."""

from __future__ import annotations


class FastauditError(Exception):
    """A problem the user can fix: bad input, configuration or usage. Exit code 2.

    Messages are one line and never contain key material.
    """

    exit_code = 2


class ConfigError(FastauditError):
    """`[tool.fastaudit]`, `.fastaudit.toml` or `--config` is invalid."""


class InputError(FastauditError):
    """A file, repository, baseline, inventory or report given to us cannot be used."""


class NetworkError(FastauditError):
    """A remote source (inventory URL, verification API) could not be used safely."""


class InternalError(FastauditError):
    """fastaudit broke one of its own promises (two results for one repository): exit 3,
    never a quiet pass."""

    exit_code = 3
