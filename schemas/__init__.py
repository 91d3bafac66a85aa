"""Package data: schemas (see pyproject.toml package-dir)."""
