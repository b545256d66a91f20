#!/usr/bin/env bash
# A second virtualenv for the LiteLLM integration test: LiteLLM's proxy pins rich<14 and
# brings uvloop (which uvicorn would then pick for every server), so it stays out of .venv.
# Re-running is cheap: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv-litellm/bin/python ] || "$PYTHON" -m venv .venv-litellm
stamp=.venv-litellm/.antiextract-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing antiextract with LiteLLM's proxy into .venv-litellm (about a minute)" >&2
  .venv-litellm/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,litellm]' 2>&1 \
    | grep -v '^WARNING: Location' >&2 || true
  LITELLM_LOCAL_MODEL_COST_MAP=True .venv-litellm/bin/python -c 'import antiextract, litellm, openai, pytest' \
    || { echo "LiteLLM installation failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
