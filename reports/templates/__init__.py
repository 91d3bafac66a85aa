"""Package data: reports/templates (see pyproject.toml package-dir)."""
