"""Package data: examples (see pyproject.toml package-dir)."""
