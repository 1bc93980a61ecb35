#!/usr/bin/env bash
# bench/run.sh -- the write-path benchmark of casusd (see docs/benchmarks.md).
#
# Builds casusd and casus-bench (Release, in build-bench/), then for each
# connection count starts a fresh `casusd serve` (embedded demo config, new
# temporary data directory, a free port on 127.0.0.1), fires
# casusregisseur_wijzigen events at it with casus-bench for DURATION seconds,
# stops it with SIGTERM, checks the history chains with `casusd verify`, and
# finally prints one table of all runs.
#
# Environment (all optional):
#   CONNS="1 16 64"   connection counts, one server per count (default "1 4 16 64")
#   DURATION=10       seconds per run
#   ROUNDS=1          repeat the whole list this many times (to see the noise)
#   BUILD=build-bench build directory
#   REV=HEAD          build the server from this committed revision (git archive) instead of
#                     the working tree; casus-bench is always built from the working tree
#   INTERVAL=1        also print casus-bench's timeline every INTERVAL seconds
#   PIN=1             pin the server to CPU 0 and casus-bench to CPU 1 (taskset)
#   KEEP=1            keep the temporary directory (data, logs) afterwards
#
# Exit status: 0 when every run had no errors and the server behaved (started,
# survived the load, stopped on SIGTERM, verified); 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-"1 4 16 64"}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-1}
BUILD=${BUILD:-build-bench}
PIN=${PIN:-0}
KEEP=${KEEP:-0}
INTERVAL=${INTERVAL:-}
REV=${REV:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/casus-bench.XXXXXX")
SERVER_PID=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

jobs=$(nproc 2>/dev/null || echo 2)
echo "== build ($BUILD, Release)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
if [ -n "$REV" ]; then
  cmake --build "$BUILD" -j"$jobs" --target casus-bench >/dev/null
else
  cmake --build "$BUILD" -j"$jobs" --target casusd casus-bench >/dev/null
fi
CASUSD=$PWD/$BUILD/casusd
BENCH=$PWD/$BUILD/casus-bench
if [ -n "$REV" ]; then
  # The server from a committed revision (a clean export, so that edits in
  # progress in the working tree do not leak into the figures); the load
  # generator stays the one built above.
  echo "== build casusd at $REV (git archive into $TMP/src, Release)"
  mkdir "$TMP/src"
  git archive --format=tar "$REV" | tar -x -C "$TMP/src"
  cmake -S "$TMP/src" -B "$TMP/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$TMP/build" -j"$jobs" --target casusd >/dev/null
  CASUSD=$TMP/build/casusd
  version="$(git rev-parse --short "$REV") (clean export of $REV)"
else
  version="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git diff --quiet HEAD -- src statecharts config CMakeLists.txt 2>/dev/null ||
    version="$version + uncommitted changes in the working tree"
fi

server_cpu=()
bench_cpu=()
if [ "$PIN" = 1 ]; then
  server_cpu=(taskset -c 0)
  bench_cpu=(taskset -c 1)
fi

echo "== machine"
echo "casusd:   $version"
echo "kernel:   $(uname -srm)"
echo "cpus:     $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the runs)"
dev=$(df --output=source "$TMP" | tail -1)
echo "data dir: $TMP on $dev ($(df --output=fstype "$TMP" | tail -1), $(findmnt -no OPTIONS -T "$TMP" 2>/dev/null || echo '?'))"
blk=$(basename "$dev")
if [ -r "/sys/block/$blk/queue/rotational" ]; then
  echo "disk:     /sys/block/$blk: rotational=$(cat "/sys/block/$blk/queue/rotational")," \
    "write cache=$(cat "/sys/block/$blk/queue/write_cache" 2>/dev/null || echo '?')"
fi
# One synchronous 4 KiB write costs about what one group commit's fsync does.
probe=$(dd if=/dev/zero of="$TMP/probe" bs=4k count=500 oflag=dsync 2>&1 | tail -1)
echo "dsync:    500 x 4 KiB O_DSYNC writes: $probe"
rm -f "$TMP/probe"

# Starts a server on a fresh data dir; sets SERVER_PID and PORT.
server_start() {
  local dir=$1
  : >"$dir.out"
  "${server_cpu[@]}" "$CASUSD" serve --listen 127.0.0.1:0 --data "$dir" >"$dir.out" 2>"$dir.err" &
  SERVER_PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$dir.out")
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "casusd did not start:"; cat "$dir.err"
  return 1
}

# Stops the server with SIGTERM; prints how long it took and its exit status.
server_stop() {
  local t0 t1 rc
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    wait "$SERVER_PID" && rc=0 || rc=$?
    echo "  server:   DIED during the run (exit status $rc)"
    SERVER_PID=
    return 1
  fi
  # RssFile is mostly LMDB's memory map (the store's pages), RssAnon the heap.
  echo "  server:   memory $(awk '/^(VmHWM|RssAnon|RssFile)/ {printf "%s %s %s  ", $1, $2, $3}' "/proc/$SERVER_PID/status")"
  t0=$(date +%s%N)
  kill -TERM "$SERVER_PID"
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "  server:   still running 10 s after SIGTERM; killing it"
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    return 1
  fi
  wait "$SERVER_PID" && rc=0 || rc=$?
  t1=$(date +%s%N)
  echo "  server:   stopped $(((t1 - t0) / 1000000)) ms after SIGTERM, exit status $rc"
  SERVER_PID=
  [ "$rc" = 0 ]
}

status=0
results=()
for round in $(seq "$ROUNDS"); do
  for c in $CONNS; do
    dir=$TMP/data-r$round-c$c
    echo "== round $round: $c connection(s), $DURATION s"
    server_start "$dir" || { status=1; continue; }
    args=(--port "$PORT" --connections "$c" --duration "$DURATION")
    [ -n "$INTERVAL" ] && args+=(--interval "$INTERVAL")
    out=$("${bench_cpu[@]}" "$BENCH" "${args[@]}" 2>&1) && brc=0 || brc=$?
    echo "$out" | sed 's/^/  /'
    [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
    # Noise-robust companions of the throughput: the server's own CPU time
    # (user + system, from /proc) and the machine's pressure over the last 10 s.
    ticks=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)
    cpu_psi=$(awk '/^some/ {sub("avg10=", "", $2); print $2}' /proc/pressure/cpu 2>/dev/null || echo -)
    io_psi=$(awk '/^some/ {sub("avg10=", "", $2); print $2}' /proc/pressure/io 2>/dev/null || echo -)
    echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"
    server_stop || status=1
    # Anything the server logged besides its own shutdown line is news.
    if grep -qv 'casusd: signal 15, stopping' "$dir.err"; then
      echo "  server stderr:"; grep -v 'casusd: signal 15, stopping' "$dir.err" | head -20 | sed 's/^/    /'
    fi
    ver=$("$CASUSD" verify --data "$dir" 2>&1) && vrc=0 || vrc=$?
    echo "  verify:   $(echo "$ver" | tail -1) (exit status $vrc)"
    [ "$vrc" = 0 ] || status=1
    echo "  store:    $(du -sh "$dir" | cut -f1)"
    line=$(echo "$out" | grep '^RESULT' || true)
    if [ -n "$line" ]; then
      ok=$(echo "$line" | sed 's/.* ok=\([0-9]*\).*/\1/')
      cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$ok" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')
      echo "  server:   $cpu_us us CPU per event (user + system)"
      results+=("round=$round $line cpu_us=$cpu_us cpu_psi=$cpu_psi io_psi=$io_psi")
    fi
  done
done

echo
echo "== results (events/s = 2xx events per second; latency in ms; server CPU per event in us;"
echo "   pressure = the machine's CPU / I/O 'some' pressure over the run's last 10 s, in %)"
printf '| round | conns | requests | errors | events/s | p50 | p90 | p99 | p99.9 | max | server CPU/event | pressure CPU / I/O |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
printf '%s\n' "${results[@]}" | awk '{
  for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", v["round"], v["connections"],
         v["requests"], v["errors"], v["events_per_s"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["p999_ms"], v["max_ms"],
         v["cpu_us"], v["cpu_psi"], v["io_psi"]
}'
exit $status
