#!/usr/bin/env bash
# The README's test command: install (the virtualenv, then the Debian tools the suite runs:
# scripts/tools.sh), make sure Redis answers, run the whole suite; then
# (on a full run) the LiteLLM integration test in its own virtualenv (scripts/litellm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/tools.sh
bash scripts/redis.sh
export ANTIEXTRACT_TEST_REDIS_URL=${ANTIEXTRACT_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
.venv/bin/python -m pytest "$@"
if [ $# -eq 0 ] && [ "${ANTIEXTRACT_SKIP_LITELLM:-0}" != 1 ]; then
  bash scripts/litellm.sh
  echo "==> LiteLLM integration (.venv-litellm)" >&2
  .venv-litellm/bin/python -m pytest -q tests/test_litellm.py
fi
