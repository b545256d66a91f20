#!/usr/bin/env bash
# System tools the test-suite runs for real (Debian packages, installed with apt-get when
# missing): prometheus and promtool (tests/test_prometheus.py scrapes the middleware with a
# real Prometheus; tests/test_alerts.py runs `promtool check rules` and `promtool test
# rules` on deploy/prometheus/) and docker-compose (tests/test_deploy.py: `docker-compose
# config` parses deploy/compose.yml; no daemon is needed) and chromium (tests/test_report.py
# renders `antiextract report` headless and keeps a screenshot). A tool that cannot be
# installed stops here with the reason; the tests that need it then fail (never skip),
# naming this script.
set -euo pipefail
missing=()
{ command -v prometheus && command -v promtool; } >/dev/null || missing+=(prometheus)
command -v chromium >/dev/null || missing+=(chromium)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "==> installing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
  echo "scripts/tools.sh: ${missing[*]} missing and not root: run 'apt-get install ${missing[*]}' as root" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "scripts/tools.sh: ${missing[*]} missing and no apt-get: install ${missing[*]} by hand" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
for cmd in prometheus promtool docker-compose chromium; do
  command -v "$cmd" >/dev/null || { echo "scripts/tools.sh: $cmd installed but not on PATH" >&2; exit 1; }
done
