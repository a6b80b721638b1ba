#!/bin/sh
# kv-server's log open flags measured: for each round, for each --log-open-flags, a fresh server
# (default shape, appendfsync always) with its data dir under DIR, then redis-benchmark SET at
# -P 1 and -P 16, 50 clients. Prints one line per run: round flags pipeline requests-per-second.
# Run it at high priority, as the lead's machine set-up asks:
#   nice -n -39 sh bench/kv-log-flags.sh [ROUNDS] [REQUESTS] [DIR]
set -eu
rounds=${1:-3}
requests=${2:-50000}
base=${3:-/work/kv-log-flags-bench}
main="$(dirname "$0")/../examples/kv-server/dist/main.js"
port=7391
mkdir -p "$base"
for round in $(seq "$rounds"); do
  for flags in none dsync direct; do
    dir="$base/$flags-$round"
    rm -rf "$dir"
    node "$main" --port $port --dir "$dir" --log-open-flags $flags > "$base/server.out" 2>&1 &
    server=$!
    until redis-cli -p $port ping > /dev/null 2>&1; do
      kill -0 $server 2> /dev/null || { cat "$base/server.out"; exit 1; }
      sleep 0.1
    done
    for pipeline in 1 16; do
      rps=$(redis-benchmark -p $port -c 50 -n "$requests" -P $pipeline -t set -q | tr '\r' '\n' | grep -o 'SET: [0-9.]*' | tail -1 | cut -d' ' -f2)
      echo "$round $flags $pipeline $rps"
    done
    kill $server
    wait $server || true
    rm -rf "$dir"
  done
done
