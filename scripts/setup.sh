#!/usr/bin/env bash
# Shared by the README commands and CI: a project virtualenv with everything installed.
# Re-running is cheap: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "antiextract needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.antiextract-installed
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing antiextract and its test dependencies into .venv" >&2
  # pip's own "WARNING: Location ... is ignored" lines come from a machine's pip config
  # (an index directory without a package), not from this project: left out. Any other
  # line is shown; with STRICT_INSTALL=1 (CI) a warning fails the set-up, so that a
  # fresh clone's first command never prints one (pyproject.toml: package-dir).
  log=$(mktemp)
  { .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
  } >"$log" 2>&1 || true
  grep -v '^WARNING: Location' "$log" >&2 || true
  if [ "${STRICT_INSTALL:-0}" = 1 ] && grep -v '^WARNING: Location' "$log" | grep -qi 'warning'; then
    rm -f "$log"
    echo "the installation printed a warning (above); STRICT_INSTALL=1 fails on it" >&2
    exit 1
  fi
  rm -f "$log"
  .venv/bin/python -c 'import antiextract, openai, anthropic, slowapi, pytest' \
    || { echo "installation failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
