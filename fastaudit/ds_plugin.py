"""detect-secrets plugin for Tools.FAST API keys (loaded via `plugins/fast_api_key.py`).

    detect-secrets scan --plugin plugins/fast_api_key.py
    detect-secrets-hook --plugin plugins/fast_api_key.py

The pattern and every filter come from `fastaudit.detect`, the same definition fastaudit's
own engine uses, so the two can never disagree about a string.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from detect_secrets.plugins.base import RegexBasedDetector

from fastaudit.detect import KeySpec, KeyVault, find_keys_in_text
from fastaudit.unwrap.gate import may_hide_keys
from fastaudit.unwrap.views import disguised_findings

_SPEC = KeySpec()


class FastApiKeyDetector(RegexBasedDetector):
    """Scans for Tools.FAST API keys (`fast_prod_...`)."""

    # Frozen: baselines store this string, so changing it orphans every existing entry.
    secret_type = "Tools.FAST API Key"

    # What detect-secrets shows and may pre-filter with; the verdict is `analyze_string`'s.
    denylist = (re.compile(_SPEC.pattern.pattern.decode("ascii")),)

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        """The keys on one line, plain or in any disguise the line itself holds, by the one
        definition."""
        for hit in find_keys_in_text(string, _SPEC):
            yield hit.key
        # An encoded run on the line (base64, hex, escapes, a split literal): the one
        # line is all detect-secrets shows a plugin, so multi-line forms and archives
        # are `fastaudit scan`'s alone.
        data = string.encode("utf-8", "surrogateescape")
        if may_hide_keys(data, _SPEC):
            vault = KeyVault()
            found, _warnings, _replaced = disguised_findings(
                data, "", _SPEC, _SPEC.unwrap, vault=vault
            )
            for finding in found:
                key = vault.get(finding.secret_sha256 or "")
                if key is not None:
                    yield key


def plugin_path() -> str:
    """This file's path, for `detect-secrets --plugin` in environments where fastaudit is
    installed but the repository's `plugins/` folder is not (the pre-commit route)."""
    return __file__


def hook_main() -> int:
    """`fastaudit-detect-secrets-hook`: detect-secrets-hook with this plugin loaded."""
    import sys

    from detect_secrets.pre_commit_hook import main

    return int(main(["--plugin", plugin_path(), *sys.argv[1:]]))


def audit_main() -> int:
    """`fastaudit-detect-secrets-audit BASELINE [OPTIONS]`: `detect-secrets audit` that
    works with custom plugins. detect-secrets 1.5's audit never loads the baseline's
    `plugins_used` into its settings, so looking up any custom plugin's secret type fails
    with a bare TypeError (the same with a trivial plugin of one regex); here the settings
    come from the baseline first, as `detect-secrets scan --baseline` does, and the audit
    is detect-secrets' own."""
    import sys

    from detect_secrets.core import baseline
    from detect_secrets.main import main
    from detect_secrets.settings import configure_settings_from_baseline

    args = sys.argv[1:]
    files = [a for a in args if not a.startswith("-")]
    if files:
        try:
            configure_settings_from_baseline(baseline.load_from_file(files[0]), filename=files[0])
        except (OSError, ValueError, KeyError, TypeError) as exc:  # unreadable: one line
            print(f"fastaudit-detect-secrets-audit: cannot read {files[0]}: {exc}", file=sys.stderr)
            return 2
    return int(main(["audit", *args]) or 0)


def portable_plugin_paths(document: dict[str, Any], repo_root: str) -> list[str]:
    """Rewrite absolute `file://` plugin paths under `repo_root` to repository-relative ones.

    detect-secrets records `--plugin FILE` as `file:///absolute/path`, which breaks a
    committed baseline on every other machine. It strips `file://` and opens the rest
    relative to the working directory, and both pre-commit and CI run from the repository
    root, so `file://plugins/fast_api_key.py` works everywhere. Returns the new paths.
    """
    import os

    changed = []
    for plugin in document.get("plugins_used", []):
        path = plugin.get("path") if isinstance(plugin, dict) else None
        if not isinstance(path, str) or not path.startswith("file://"):
            continue
        target = path[len("file://") :]
        if not os.path.isabs(target):
            continue
        rel = os.path.relpath(target, repo_root)
        if rel.startswith(".."):
            continue
        plugin["path"] = "file://" + rel.replace(os.sep, "/")
        changed.append(plugin["path"])
    return changed
