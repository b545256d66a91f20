#!/usr/bin/env bash
# The README's main job: install, then run the demo on the embedded memory store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/antiextract demo "$@"
