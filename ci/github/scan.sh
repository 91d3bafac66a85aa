#!/usr/bin/env bash
# The action's scan step: `fastaudit ci github` reads the event payload itself; this only
# turns the action's inputs into options.
set -euo pipefail

args=(ci github --mode "${INPUT_MODE:-diff}" --fail-on "${INPUT_FAIL_ON:-low}")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
if [ -n "${INPUT_SARIF:-}" ]; then args+=(--sarif "$INPUT_SARIF"); else args+=(--no-sarif); fi
case "${INPUT_VERIFY:-false}" in
  true|True|TRUE|1|yes) args+=(--verify) ;;
esac
exec fastaudit "${args[@]}"
