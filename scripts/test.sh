#!/usr/bin/env bash
# The README's test command: install, make sure Redis answers, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/redis.sh
export ANTIEXTRACT_TEST_REDIS_URL=${ANTIEXTRACT_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
exec .venv/bin/python -m pytest "$@"
