#!/usr/bin/env bash
# The action's install step: the action's own code, from $GITHUB_ACTION_PATH, into its own
# venv under $RUNNER_TEMP. Never a package found by name: "fastaudit" on PyPI is another
# project, and whatever a name resolves to tomorrow is not what this action was reviewed
# as. To run another version, pin the action at that version's tag. Inputs arrive as
# environment variables, never spliced into the script, so no input can run as shell.
set -euo pipefail

action_version="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$GITHUB_ACTION_PATH/fastaudit/__init__.py" | head -1)"
if [ -n "${INPUT_VERSION:-}" ] && [ "${INPUT_VERSION}" != "$action_version" ]; then
  echo "::error::this action is fastaudit $action_version; to run $INPUT_VERSION, pin the action at v$INPUT_VERSION (uses: …@v$INPUT_VERSION) instead of setting 'version'" >&2
  exit 2
fi
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/fastaudit-venv"
if [ -x "$venv/bin/fastaudit" ] && "$venv/bin/python" - "$GITHUB_ACTION_PATH" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

# Reuse the venv only when it already holds this very checkout (an editable or local
# install recorded with its source path), never because some "fastaudit" answers.
try:
    dist = distribution("toolsfast-audit")
except PackageNotFoundError:
    sys.exit(1)
text = dist.read_text("direct_url.json") or ""
sys.exit(0 if Path(sys.argv[1]).resolve().as_uri() in text else 1)
PY
then
  echo "fastaudit $action_version from $GITHUB_ACTION_PATH is already installed"
else
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # A path, not a name: pip builds the checkout the action runs from.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"
fi
echo "$venv/bin" >> "$GITHUB_PATH"
echo "installed $("$venv/bin/fastaudit" --version) from $GITHUB_ACTION_PATH"
