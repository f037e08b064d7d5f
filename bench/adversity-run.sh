#!/usr/bin/env bash
# A replayed day with every real-feed fault on, killed with SIGKILL in the middle of work, then
# `freshet verify`: every gold mart against its oracle, and the case study's model beside them.
#
#   bench/adversity-run.sh [DIR] [STORES] [KILLS]      (defaults: /tmp/freshet-adversity 400 3)
#
# Runs `freshet simulate --profile diwali --speed max --rate 5000 --adversity` on a new data dir,
# kills it with SIGKILL KILLS times (after 65 s, 90 s, 115 s, … of each run), restarts it until
# the replayed day is over and gold has caught up, stops it cleanly and prints verify's report
# (also saved as DIR/verify.json). Needs `npm run build` first.
set -euo pipefail
DIR=${1:-/tmp/freshet-adversity}
STORES=${2:-400}
KILLS=${3:-3}
PORT=${PORT:-18779}
F="$(cd "$(dirname "$0")/.." && pwd)/bin/freshet.js"
rm -rf "$DIR"
mkdir -p "$DIR"
ARGS=(simulate --profile diwali --speed max --rate 5000 --stores "$STORES" --skus 3000 --seed 8
  --adversity --silent-after 20000 --data-dir "$DIR/data" --port "$PORT" -q)
for i in $(seq 1 "$KILLS"); do
  node "$F" "${ARGS[@]}" >"$DIR/run$i.log" 2>&1 &
  pid=$!
  sleep $((40 + i * 25))
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  echo "kill -9 number $i at $(date +%T)"
done
node "$F" "${ARGS[@]}" >"$DIR/final.log" 2>&1 &
pid=$!
until curl -s "localhost:$PORT/api/sources" | grep -q '"state":"finished"'; do sleep 5; done
echo "the replayed day is over at $(date +%T); letting gold catch up"
sleep 30
kill -INT "$pid"
wait "$pid"
node "$F" verify --data-dir "$DIR/data" --json >"$DIR/verify.json" || true
node "$F" verify --data-dir "$DIR/data"
