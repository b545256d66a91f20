#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379: installs it from the OS packages
# when missing and starts it (no persistence) when nothing answers.
set -euo pipefail
ping() {
  "${PY:-python3}" - <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", 6379), timeout=1)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
if ping; then exit 0; fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "==> installing redis-server from the OS packages" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >&2
fi
echo "==> starting redis-server on 127.0.0.1:6379" >&2
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
  --dir /tmp --logfile /tmp/antiextract-redis.log
for _ in $(seq 50); do ping && exit 0; sleep 0.1; done
echo "redis-server did not answer on 127.0.0.1:6379" >&2
exit 1
