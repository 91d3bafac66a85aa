"""fastaudit: keep Tools.FAST API keys out of source code and keep existing keys healthy."""

__version__ = "0.1.0"
