"""detect-secrets plugin for Tools.FAST API keys (a file detect-secrets can load by path).

    detect-secrets scan --plugin plugins/fast_api_key.py
    detect-secrets-hook --plugin plugins/fast_api_key.py

The detector lives in `fastaudit.ds_plugin` and takes its pattern and filters from
`fastaudit.detect`, the definition fastaudit's own engine uses.
"""

from fastaudit.ds_plugin import FastApiKeyDetector

__all__ = ["FastApiKeyDetector"]
