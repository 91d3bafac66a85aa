#!/usr/bin/env bash
# The action's install step: fastaudit into its own venv under $RUNNER_TEMP, unless the
# wanted version is already on PATH. Inputs arrive as environment variables, never
# spliced into the script, so no input can run as shell.
set -euo pipefail

action_version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$GITHUB_ACTION_PATH/pyproject.toml" | head -1)"
want="${INPUT_VERSION:-$action_version}"
if command -v fastaudit >/dev/null 2>&1; then
  have="$(fastaudit --version 2>/dev/null | sed -n 's/.*version \(.*\)$/\1/p')"
  if [ "$have" = "$want" ]; then
    echo "fastaudit $have is already installed"
    exit 0
  fi
fi
venv="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/fastaudit-venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ -n "${INPUT_VERSION:-}" ]; then
  "$venv/bin/python" -m pip install --quiet "fastaudit==$INPUT_VERSION"
else
  "$venv/bin/python" -m pip install --quiet "$GITHUB_ACTION_PATH"
fi
echo "$venv/bin" >> "$GITHUB_PATH"
echo "installed $("$venv/bin/fastaudit" --version)"
