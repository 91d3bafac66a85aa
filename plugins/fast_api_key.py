"""detect-secrets plugin for Tools.FAST API keys.

    detect-secrets scan --plugin plugins/fast_api_key.py
    detect-secrets-hook --plugin plugins/fast_api_key.py

The pattern and every filter come from `fastaudit.detect`, the same definition fastaudit's
own engine uses, so the two can never disagree about a string.
"""

from __future__ import annotations

import re
from collections.abc import Generator

from detect_secrets.plugins.base import RegexBasedDetector

from fastaudit.detect import KeySpec, find_keys_in_text

_SPEC = KeySpec()


class FastApiKeyDetector(RegexBasedDetector):  # type: ignore[misc]
    """Scans for Tools.FAST API keys (`fast_prod_...`)."""

    # Frozen: baselines store this string, so changing it orphans every existing entry.
    secret_type = "Tools.FAST API Key"

    # What detect-secrets shows and may pre-filter with; the verdict is `analyze_string`'s.
    denylist = (re.compile(_SPEC.pattern.pattern.decode("ascii")),)

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for hit in find_keys_in_text(string, _SPEC):
            yield hit.key
