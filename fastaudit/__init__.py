"""fastaudit: keep Tools.FAST API keys out of source code and keep existing keys healthy."""

__version__ = "0.2.0"

# The name pip installs it under. "fastaudit" on PyPI is somebody else's project, so every
# install instruction, extra and report link uses this name.
DISTRIBUTION = "toolsfast-audit"
PROJECT_URL = f"https://pypi.org/project/{DISTRIBUTION}/"
