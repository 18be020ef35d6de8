#!/usr/bin/env bash
# Starts a moto S3-API server (PyPI moto[server], in the project venv) for the
# server's object-store tests, waits until it answers, and prints its endpoint.
#   usage: start-moto.sh PORT [LOGFILE]      (stop: kill the pid in $LOGFILE.pid)
set -euo pipefail
PORT="${1:?usage: start-moto.sh PORT [LOGFILE]}"
LOG="${2:-/tmp/moto-$PORT.log}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
MOTO="${MOTO_SERVER:-$ROOT/.tools/py/bin/moto_server}"
nohup "$MOTO" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
echo $! >"$LOG.pid"
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1; then
    echo "http://127.0.0.1:$PORT"
    exit 0
  fi
  sleep 0.2
done
echo "moto did not start; see $LOG" >&2
exit 1
