#!/usr/bin/env bash
# bench/run.sh -- the benchmarks of casusd (see docs/benchmarks.md).
#
# Builds casusd and casus-bench (Release, in build-bench/), prints the machine,
# and runs one of these modes (MODE=..., default write). Every server runs on
# 127.0.0.1 on a free port with a new temporary data directory, and is stopped
# with SIGTERM (and its history chains checked with `casusd verify`) before the
# script ends; the EXIT trap stops whatever is still running.
#
#   write         (the default) for each connection count a fresh `casusd serve`
#                 (embedded demo config); casus-bench fires casusregisseur_wijzigen
#                 events at it for DURATION seconds; one table of all runs.
#   side-by-side  casusd's write path (50 connections, as in write) and Redis with
#                 an fsync per write (appendfsync always) measured by
#                 redis-benchmark (SET, 600-byte values, 50 connections),
#                 interleaved: casusd, redis, casusd, redis, ... for ROUNDS rounds;
#                 both figures and casusd/redis per round and the medians.
#   mixed         70 % reads (case, history, list queries, inbox), 25 % events,
#                 5 % creates (casus-bench --mix default) for DURATION seconds;
#                 p50/p99 per kind.
#   scale         creates SCALE_CASES cases through the API, restarts the server
#                 on that store and measures its start-up time, the p99 of each
#                 list query and of the inbox, its memory, and the store's bytes
#                 per case and per history entry; then the latency of GET /healthz
#                 on a second connection while one connection runs the list
#                 queries (how long a read holds the loop).
#   storm         a manual clock: creates STORM_CASES cases that each arm a timer,
#                 then moves the clock past all of them with one PUT while another
#                 connection reads; the time until the PUT returns, the timers
#                 fired, and the latency of the reads meanwhile.
#
# Each mode ends with a line "RESULT mode=... key=value ...".
#
# Environment (all optional):
#   MODE=write        write | side-by-side | mixed | scale | storm
#   CONNS="1 16 64"   connection counts, one server per count (write: default "1 4 16 64";
#                     mixed: default 16)
#   DURATION=10       seconds per run (write, side-by-side, mixed)
#   ROUNDS=1          repeat the runs this many times (side-by-side: default 3)
#   BUILD=build-bench build directory
#   REV=HEAD          build the server from this committed revision (git archive) instead of
#                     the working tree; casus-bench is always built from the working tree
#   INTERVAL=1        also print casus-bench's timeline every INTERVAL seconds
#   PIN=1             pin the server (casusd, redis-server) to CPU 0 and the load generator
#                     (casus-bench, redis-benchmark) to CPU 1 (taskset)
#   KEEP=1            keep the temporary directory (data, logs) afterwards
# side-by-side:
#   SBS_CONNS=50      connections of both load generators
#   REDIS_N=...       requests per redis-benchmark run (default: calibrated to DURATION)
# mixed:
#   MIX=default       casus-bench --mix SPEC (default: get=25,history=15,list=20,inbox=10,
#                     event=25,create=5)
#   MIX_CASES=1000    cases created before the mixed load
#   LENIENT_LISTS=1   non-2xx replies to list queries are reported but do not fail the run
#                     (casus-bench --lenient-lists; also for scale); by default they fail it
# scale:
#   SCALE_CASES=1000000  cases to create
#   SCALE_CONNS=64       connections that create them
#   SCALE_ROUTE_B=20     percentage of them created as route B (an aanbieder's verzoek om
#                        toewijzing: a timer and an inbox task each); the rest route A
#   SCALE_RARE=1000      of the SCALE_CASES, this many rare ones, created first: route B cases
#                        of the aanbieder kompas-zorg, made under a manual clock 14 days back
#                        that is then set to now, so that their timer has fired (flag
#                        antwoordtermijn_verlopen, an inbox task, no deadline left)
#   DATA=dir          the store to measure: created there when it has no data.mdb yet, else
#                     used as it is (no cases created); never deleted by this script
#   SCALE_REQUESTS=200   requests per list query and for the inbox
#   SCALE_SECONDS=60     at most this long per list query
#   SCALE_LISTS="?a=b ?c=d"  the list queries (default: casus-bench --print-lists)
#   SCALE_PROBE_SECONDS=20   the GET /healthz probe: this long, while the list queries run in turn
# storm:
#   STORM_CASES=100000   cases (each arms one timer: a route B verzoek om toewijzing)
#   STORM_CONNS=32       connections that create them
#   STORM_READERS=1      connections that read during the PUT
#   STORM_START=2027-01-04T09:00:00+01:00   the manual clock's start (a Monday)
#   STORM_TO=2027-02-01T09:00:00+01:00      where the PUT moves it (past every timer)
#
# Exit status: 0 when every run had no errors and the servers behaved (started,
# survived the load, stopped on SIGTERM, verified); 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${MODE:-write}
case "$MODE" in
  write | side-by-side | mixed | scale | storm) ;;
  *)
    echo "bench/run.sh: unknown MODE '$MODE' (write, side-by-side, mixed, scale, storm)" >&2
    exit 2
    ;;
esac
if [ "$MODE" = mixed ]; then
  CONNS=${CONNS:-16}
else
  CONNS=${CONNS:-"1 4 16 64"}
fi
DURATION=${DURATION:-10}
if [ "$MODE" = side-by-side ]; then
  ROUNDS=${ROUNDS:-3}
else
  ROUNDS=${ROUNDS:-1}
fi
BUILD=${BUILD:-build-bench}
PIN=${PIN:-0}
KEEP=${KEEP:-0}
INTERVAL=${INTERVAL:-}
REV=${REV:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/casus-bench.XXXXXX")
SERVER_PID=
REDIS_PID=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local pid
  for pid in "$SERVER_PID" "$REDIS_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "$KEEP" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

if [ "$MODE" = side-by-side ]; then
  for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null ||
      { echo "bench/run.sh: $tool is missing; run scripts/install-deps.sh" >&2; exit 2; }
  done
fi

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
DEMO_CONFIG=$PWD/config/demo.json
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
  # The demo configuration of that revision too: a newer one may hold keys
  # the older server refuses.
  DEMO_CONFIG=$TMP/src/config/demo.json
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
echo "mode:     $MODE"
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

# ---- helpers ---------------------------------------------------------------

# Starts a server on data directory $1 (created when new) with the further
# arguments of `casusd serve`; sets SERVER_PID, PORT, SERVER_LOG (its stdout
# and stderr are $SERVER_LOG.out and .err, in $TMP), SERVER_T0 (the exec, in
# ns) and STARTED_MS (from the exec to the "listening on" line).
server_start() {
  local dir=$1 quiet=()
  shift
  # The embedded demo's example cases would add cases to what is measured;
  # an older revision (REV=...) has none and no such option.
  if "$CASUSD" serve --help | grep -q -- --no-examples; then quiet=(--no-examples); fi
  SERVER_LOG=$TMP/$(basename "$dir")
  : >"$SERVER_LOG.out"
  SERVER_T0=$(date +%s%N)
  "${server_cpu[@]}" "$CASUSD" serve --listen 127.0.0.1:0 --data "$dir" "${quiet[@]}" "$@" >"$SERVER_LOG.out" 2>"$SERVER_LOG.err" &
  SERVER_PID=$!
  PORT=
  for _ in $(seq 3000); do
    PORT=$(sed -n 's/^listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$SERVER_LOG.out")
    if [ -n "$PORT" ]; then
      STARTED_MS=$((($(date +%s%N) - SERVER_T0) / 1000000))
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.02
  done
  echo "casusd did not start:"; cat "$SERVER_LOG.err"
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

# After server_stop: anything the server logged besides its own shutdown line
# is news.
server_stderr() {
  if grep -qv 'casusd: signal 15, stopping' "$SERVER_LOG.err"; then
    echo "  server stderr:"; grep -v 'casusd: signal 15, stopping' "$SERVER_LOG.err" | head -20 | sed 's/^/    /'
  fi
}

# After server_stop: server_stderr, then `casusd verify` on the store $1.
# Returns 1 when verify failed.
server_check() {
  local dir=$1 ver vrc
  server_stderr
  ver=$("$CASUSD" verify --data "$dir" 2>&1) && vrc=0 || vrc=$?
  echo "  verify:   $(echo "$ver" | tail -1) (exit status $vrc)"
  echo "  store:    $(du -sh "$dir" | cut -f1)"
  [ "$vrc" = 0 ]
}

# The machine's CPU and I/O "some" pressure over the last 10 s, in %.
pressure() {
  local cpu io
  cpu=$(awk '/^some/ {sub("avg10=", "", $2); print $2}' /proc/pressure/cpu 2>/dev/null || echo -)
  io=$(awk '/^some/ {sub("avg10=", "", $2); print $2}' /proc/pressure/io 2>/dev/null || echo -)
  echo "$cpu $io"
}

# The value of key $2 in the "key=value ..." line $1 (empty when absent).
kv() {
  echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}

# The median of the numbers given as arguments ("-" when none).
median() {
  printf '%s\n' "$@" | grep -v '^-*$' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# A loopback TCP port that is free now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A value of the server's GET /metrics (the admin's token: the demo configuration's).
metric() {
  curl -s --max-time 10 -H "Authorization: Bearer demo-admin" "http://127.0.0.1:$PORT/metrics" |
    awk -v m="$1" '$1 == m { print $2 }'
}

# The server's memory (kB) from /proc/PID/status: "RssAnon RssFile VmHWM".
server_memory() {
  awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } /^VmHWM/ { h = $2 } END { print a, f, h }' \
    "/proc/$SERVER_PID/status"
}

# The create body of a route B case (a verzoek om toewijzing by the aanbieder
# horizon-jeugdzorg): it enters verzoek_ingediend, whose timer antwoordtermijn
# (5 working days) fires antwoordtermijn_verlopen (a flag, a task for the
# procesregisseur), and the procesregisseur gets a task at once.
ROUTE_B_BODY='{"verwijzer":"huisarts","gemeente":"rotterdam","aanbieder":"horizon-jeugdzorg",'
ROUTE_B_BODY+='"casusregisseur":"cr-rotterdam","jeugdige":{"naam":"Bench","geboortedatum":"2012-05-01"},'
ROUTE_B_BODY+='"product":{"code":"45A12","begindatum":"2027-02-01","einddatum":"2027-12-31"}}'
# The same for the aanbieder kompas-zorg (MODE=scale's rare cases).
ROUTE_B_RARE_BODY=${ROUTE_B_BODY/horizon-jeugdzorg/kompas-zorg}

status=0

# One write-path run: a fresh server on $TMP/data-<label>, casus-bench with
# $2 connections for DURATION seconds, then stop and verify. Sets
# WRITE_RESULT to the RESULT line with the extra fields (empty on failure).
write_run() {
  local label=$1 c=$2 dir out brc line ticks cpu_psi io_psi ok cpu_us args
  dir=$TMP/data-$label
  WRITE_RESULT=
  server_start "$dir" || { status=1; return 0; }
  args=(--port "$PORT" --connections "$c" --duration "$DURATION")
  [ -n "$INTERVAL" ] && args+=(--interval "$INTERVAL")
  out=$("${bench_cpu[@]}" "$BENCH" "${args[@]}" 2>&1) && brc=0 || brc=$?
  echo "$out" | sed 's/^/  /'
  [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
  # Noise-robust companions of the throughput: the server's own CPU time
  # (user + system, from /proc) and the machine's pressure over the last 10 s.
  ticks=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0)
  read -r cpu_psi io_psi <<<"$(pressure)"
  echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"
  server_stop || status=1
  server_check "$dir" || status=1
  line=$(echo "$out" | grep '^RESULT' || true)
  if [ -n "$line" ]; then
    ok=$(kv "$line" ok)
    cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$ok" 'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "-" }')
    echo "  server:   $cpu_us us CPU per event (user + system)"
    WRITE_RESULT="$line cpu_us=$cpu_us cpu_psi=$cpu_psi io_psi=$io_psi"
  fi
}

# ---- write -----------------------------------------------------------------

mode_write() {
  local results=() round c
  for round in $(seq "$ROUNDS"); do
    for c in $CONNS; do
      echo "== round $round: $c connection(s), $DURATION s"
      write_run "r$round-c$c" "$c"
      [ -n "$WRITE_RESULT" ] && results+=("round=$round $WRITE_RESULT")
    done
  done

  echo
  echo "== results (events/s = 2xx events per second; latency in ms; server CPU per event in us;"
  echo "   pressure = the machine's CPU / I/O 'some' pressure over the run's last 10 s, in %)"
  printf '| round | conns | requests | errors | events/s | p50 | p90 | p99 | p99.9 | max | server CPU/event | pressure CPU / I/O |\n'
  printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  [ "${#results[@]}" -gt 0 ] && printf '%s\n' "${results[@]}" | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n", v["round"], v["connections"],
           v["requests"], v["errors"], v["events_per_s"], v["p50_ms"], v["p90_ms"], v["p99_ms"], v["p999_ms"], v["max_ms"],
           v["cpu_us"], v["cpu_psi"], v["io_psi"]
  }'
  # Per connection count, the medians over the rounds.
  for c in $CONNS; do
    local eps=() p99=() r
    for r in "${results[@]}"; do
      [ "$(kv "$r" connections)" = "$c" ] || continue
      eps+=("$(kv "$r" events_per_s)")
      p99+=("$(kv "$r" p99_ms)")
    done
    [ "${#eps[@]}" -gt 0 ] || continue
    echo "RESULT mode=write connections=$c runs=${#eps[@]} events_per_s_median=$(median "${eps[@]}") p99_ms_median=$(median "${p99[@]}")"
  done
}

# ---- side-by-side ----------------------------------------------------------

# Starts redis-server (an fsync per write, no snapshots) on a new directory
# $1; sets REDIS_PID and REDIS_PORT.
redis_start() {
  local dir=$1
  mkdir -p "$dir"
  REDIS_PORT=$(free_port)
  "${server_cpu[@]}" redis-server --appendonly yes --appendfsync always --save "" --port "$REDIS_PORT" \
    --bind 127.0.0.1 --dir "$dir" --daemonize no --logfile "$dir/redis.log" &
  REDIS_PID=$!
  for _ in $(seq 250); do
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$REDIS_PID" 2>/dev/null || break
    sleep 0.02
  done
  echo "redis-server did not start:"; tail -5 "$dir/redis.log"
  return 1
}

redis_stop() {
  local rc
  kill -TERM "$REDIS_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$REDIS_PID" 2>/dev/null || true
  wait "$REDIS_PID" && rc=0 || rc=$?
  REDIS_PID=
  return "$rc"
}

# redis-benchmark's SET line of --csv: "SET",rps,avg,min,p50,p95,p99,max.
# Prints "rps p50 p99 max", or nothing when the output is not understood.
redis_bench() {
  local n=$1 out
  out=$("${bench_cpu[@]}" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$SBS_CONNS" -P 1 -t set -d 600 \
    -n "$n" --csv 2>&1) || { echo "redis-benchmark failed: $out" >&2; return 1; }
  echo "$out" | tr -d '"' | awk -F, '$1 == "SET" { print $2, $5, $7, $8 }'
}

mode_side_by_side() {
  local n round rps r_p50 r_p99 r_max c_eps c_p99 rows=() dir
  SBS_CONNS=${SBS_CONNS:-50}
  n=${REDIS_N:-}
  if [ -z "$n" ]; then
    # Calibration (not counted): how many SETs take about DURATION seconds.
    redis_start "$TMP/redis-calibrate"
    read -r rps _ <<<"$(redis_bench 20000)"
    redis_stop || true
    n=$(awk -v r="${rps:-0}" -v d="$DURATION" 'BEGIN { n = int(r * d); print (n < 10000 ? 10000 : n) }')
    echo "== redis calibration: ${rps:-?} SET/s, so $n requests per run (~$DURATION s)"
  fi
  for round in $(seq "$ROUNDS"); do
    echo "== round $round: casusd, $SBS_CONNS connections, $DURATION s"
    write_run "sbs-r$round" "$SBS_CONNS"
    c_eps=$(kv "$WRITE_RESULT" events_per_s)
    c_p99=$(kv "$WRITE_RESULT" p99_ms)
    echo "== round $round: redis, $SBS_CONNS connections, $n SETs of 600 bytes"
    dir=$TMP/redis-r$round
    if redis_start "$dir"; then
      read -r rps r_p50 r_p99 r_max <<<"$(redis_bench "$n" || true)"
      echo "  redis:    ${rps:-?} SET/s, p50 ${r_p50:-?} ms, p99 ${r_p99:-?} ms, max ${r_max:-?} ms" \
        "($(awk -v n="$n" -v r="${rps:-0}" 'BEGIN { if (r > 0) printf "%.1f", n / r; else print "?" }') s)"
      read -r cpu_psi io_psi <<<"$(pressure)"
      echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"
      redis_stop || echo "  redis-server: exit status $?"
      echo "  store:    $(du -sh "$dir" | cut -f1) (append-only file)"
      [ -n "${rps:-}" ] || status=1
      # The next round lasts about DURATION too.
      [ -n "${REDIS_N:-}" ] || [ -z "${rps:-}" ] ||
        n=$(awk -v r="$rps" -v d="$DURATION" 'BEGIN { n = int(r * d); print (n < 10000 ? 10000 : n) }')
    else
      status=1
      rps='' r_p99=''
    fi
    rows+=("$round ${c_eps:--} ${c_p99:--} ${rps:--} ${r_p99:--}")
  done

  echo
  echo "== results (casusd: 2xx events/s of casusregisseur_wijzigen; redis: SET/s with appendfsync always;"
  echo "   both $SBS_CONNS connections, one request in flight each; p99 in ms)"
  printf '| round | casusd events/s | redis SET/s | casusd / redis | casusd p99 | redis p99 | p99 casusd / redis |\n'
  printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
  local ratios=() p99_ratios=() ceps=() reps=() cp99=() rp99=() line
  for line in "${rows[@]}"; do
    read -r round c_eps c_p99 rps r_p99 <<<"$line"
    local ratio=- p99_ratio=-
    if [ "$c_eps" != - ] && [ "$rps" != - ]; then
      ratio=$(awk -v a="$c_eps" -v b="$rps" 'BEGIN { printf "%.3f", a / b }')
      p99_ratio=$(awk -v a="$c_p99" -v b="$r_p99" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$round" "$c_eps" "$rps" "$ratio" "$c_p99" "$r_p99" "$p99_ratio"
    ratios+=("$ratio") p99_ratios+=("$p99_ratio") ceps+=("$c_eps") reps+=("$rps") cp99+=("$c_p99") rp99+=("$r_p99")
  done
  printf '| median | %s | %s | %s | %s | %s | %s |\n' "$(median "${ceps[@]}")" "$(median "${reps[@]}")" \
    "$(median "${ratios[@]}")" "$(median "${cp99[@]}")" "$(median "${rp99[@]}")" "$(median "${p99_ratios[@]}")"
  echo "RESULT mode=side-by-side rounds=$ROUNDS connections=$SBS_CONNS casusd_events_per_s=$(median "${ceps[@]}")" \
    "redis_set_per_s=$(median "${reps[@]}") ratio=$(median "${ratios[@]}") casusd_p99_ms=$(median "${cp99[@]}")" \
    "redis_p99_ms=$(median "${rp99[@]}") p99_ratio=$(median "${p99_ratios[@]}")"
}

# ---- mixed -----------------------------------------------------------------

mode_mixed() {
  local round c
  MIX=${MIX:-default}
  MIX_CASES=${MIX_CASES:-1000}
  for round in $(seq "$ROUNDS"); do
    for c in $CONNS; do
      mixed_run "$round" "$c"
    done
  done
}

# One mixed run: round $1, $2 connections, on a fresh server.
mixed_run() {
  local round=$1 c=$2 dir out brc line args cpu_psi io_psi
  dir=$TMP/data-mixed-r$round-c$c
  echo "== round $round: mix $MIX, $c connections, $MIX_CASES cases first, $DURATION s"
  server_start "$dir" || { status=1; return 0; }
  args=(--port "$PORT" --connections "$c" --cases "$MIX_CASES" --mix "$MIX" --duration "$DURATION")
  [ "${LENIENT_LISTS:-0}" = 1 ] && args+=(--lenient-lists)
  [ -n "$INTERVAL" ] && args+=(--interval "$INTERVAL")
  out=$("${bench_cpu[@]}" "$BENCH" "${args[@]}" 2>&1) && brc=0 || brc=$?
  echo "$out" | sed 's/^/  /'
  [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
  read -r cpu_psi io_psi <<<"$(pressure)"
  echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"
  server_stop || status=1
  server_check "$dir" || status=1
  line=$(echo "$out" | grep '^RESULT' || true)
  if [ -n "$line" ]; then
    echo "RESULT mode=mixed round=$round ${line#RESULT mode=mix } cpu_psi=$cpu_psi io_psi=$io_psi"
  fi
}

# ---- scale -----------------------------------------------------------------

mode_scale() {
  local dir want out brc line pagesize pages cases entries size used mem q hz_ms args n_a n_b c_a c_b
  local lenient=() cpu_psi io_psi rare
  SCALE_CASES=${SCALE_CASES:-1000000}
  SCALE_RARE=${SCALE_RARE:-1000}
  SCALE_PROBE_SECONDS=${SCALE_PROBE_SECONDS:-20}
  [ "${LENIENT_LISTS:-0}" = 1 ] && lenient=(--lenient-lists)
  SCALE_CONNS=${SCALE_CONNS:-64}
  SCALE_REQUESTS=${SCALE_REQUESTS:-200}
  SCALE_SECONDS=${SCALE_SECONDS:-60}
  SCALE_ROUTE_B=${SCALE_ROUTE_B:-20}
  dir=${DATA:-$TMP/data-scale}
  want=$SCALE_CASES
  if [ -f "$dir/data.mdb" ]; then
    echo "== reusing the store in $dir (no cases created)"
  else
    rare=$SCALE_RARE
    [ "$rare" -gt "$want" ] && rare=$want
    if [ "$rare" -gt 0 ]; then
      # The rare cases first (so their ids come first): route B of kompas-zorg
      # under a manual clock 14 days back, then the clock set to now, which
      # fires their antwoordtermijn (5 working days).  The store then goes on
      # with the real clock, which is later than every time written so far.
      local rcfg=$TMP/scale-rare-config.json rnow code fired0
      python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["now"] = sys.argv[2]; json.dump(c, open(sys.argv[3], "w"))' \
        "$DEMO_CONFIG" "$(date -d '14 days ago' -Iseconds)" "$rcfg"
      echo "== creating $rare rare cases in $dir: route B of kompas-zorg, manual clock 14 days back"
      server_start "$dir" --clock manual --config "$rcfg" || { status=1; return; }
      out=$("${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections 4 --create-only "$rare" --timeout 86400 \
        --token demo-ab-kompas --create-body "$ROUTE_B_RARE_BODY" 2>&1) && brc=0 || brc=$?
      echo "$out" | sed 's/^/  rare: /'
      [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
      fired0=$(metric casusd_timers_fired_total)
      rnow=$(date -Iseconds)
      code=$(curl -s -o "$TMP/scale-rare-clock.json" -w '%{http_code}' --max-time 600 -X PUT \
        -H 'Authorization: Bearer demo-admin' -H 'Content-Type: application/json' \
        -d "{\"now\":\"$rnow\"}" "http://127.0.0.1:$PORT/v1/admin/clock")
      echo "  rare: PUT /v1/admin/clock $rnow: HTTP $code; timers fired:" \
        "$(($(metric casusd_timers_fired_total) - ${fired0:-0})) (expected $rare)"
      [ "$code" = 200 ] || status=1
      server_stop || status=1
      server_stderr
    fi
    # Two kinds of case, created at the same time so that their ids mix:
    # route A by the procesregisseur (aangemeld, no timer, no inbox item) and
    # SCALE_ROUTE_B % route B by the aanbieder (verzoek_om_toewijzing, a timer
    # 5 working days ahead, a task in the procesregisseur's inbox).
    want=$((want - rare))
    n_b=$((want * SCALE_ROUTE_B / 100))
    n_a=$((want - n_b))
    c_b=$((SCALE_CONNS * SCALE_ROUTE_B / 100))
    [ "$n_b" -gt 0 ] && [ "$c_b" -lt 1 ] && c_b=1
    c_a=$((SCALE_CONNS - c_b))
    [ "$c_a" -lt 1 ] && c_a=1
    echo "== creating $want more cases through the API in $dir: $n_a route A ($c_a connections)" \
      "and $n_b route B ($c_b connections) at once"
    server_start "$dir" || { status=1; return; }
    local t0 t1 brc_b=0 pid_b=
    t0=$(date +%s%N)
    if [ "$n_b" -gt 0 ]; then
      "${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections "$c_b" --create-only "$n_b" --timeout 86400 \
        --token demo-ab-horizon --create-body "$ROUTE_B_BODY" >"$TMP/scale-create-b.out" 2>&1 &
      pid_b=$!
    fi
    brc=0
    if [ "$n_a" -gt 0 ]; then
      args=(--port "$PORT" --connections "$c_a" --create-only "$n_a" --timeout 86400)
      [ "$want" -ge 100000 ] && args+=(--interval "${INTERVAL:-30}")
      out=$("${bench_cpu[@]}" "$BENCH" "${args[@]}" 2>&1) || brc=$?
      echo "$out" | sed 's/^/  route A: /'
    fi
    if [ -n "$pid_b" ]; then
      wait "$pid_b" || brc_b=$?
      sed 's/^/  route B: /' "$TMP/scale-create-b.out"
    fi
    t1=$(date +%s%N)
    echo "  created in $(((t1 - t0) / 1000000)) ms"
    # A create that failed (e.g. 503 store_full while the map grows) is
    # reported; the store is measured with the cases it has.
    [ "$brc" = 0 ] && [ "$brc_b" = 0 ] ||
      echo "  casus-bench exit status $brc / $brc_b (see the non-2xx above; measuring what was created)"
    server_stop || status=1
    server_stderr
  fi

  echo "== store"
  cases=$(mdb_stat -s cases "$dir" | awk '/Entries:/ { print $2 }')
  entries=$(mdb_stat -s history "$dir" | awk '/Entries:/ { print $2 }')
  pagesize=$(mdb_stat -e "$dir" | awk '/Page size:/ { print $3 }')
  pages=$(mdb_stat -e "$dir" | awk '/Number of pages used:/ { print $5 }')
  size=$(stat -c %s "$dir/data.mdb")
  used=$((pages * pagesize))
  echo "  cases $cases, history entries $entries"
  echo "  data.mdb: $size bytes (file), $(du -k "$dir/data.mdb" | cut -f1) KiB on disk, $used bytes in used pages" \
    "($pages x $pagesize)"
  echo "  per case: $((size / cases)) bytes of file, $((used / cases)) bytes of used pages;" \
    "per history entry: $((size / entries)) / $((used / entries))"

  echo "== start-up on that store"
  # From the exec until GET /healthz answers 200.
  server_start "$dir" || { status=1; return; }
  for _ in $(seq 3000); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/healthz")" = 200 ] && break
    sleep 0.005
  done
  hz_ms=$((($(date +%s%N) - SERVER_T0) / 1000000))
  echo "  'listening on' after $STARTED_MS ms, /healthz answered after $hz_ms ms"
  read -r -a mem <<<"$(server_memory)"
  echo "  memory after start: RssAnon ${mem[0]} kB, RssFile ${mem[1]} kB, VmHWM ${mem[2]} kB"
  read -r cpu_psi io_psi <<<"$(pressure)"
  echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"

  echo "== list queries ($SCALE_REQUESTS requests each or $SCALE_SECONDS s, 1 connection)"
  local queries=()
  if [ -n "${SCALE_LISTS:-}" ]; then
    read -r -a queries <<<"$SCALE_LISTS"
  else
    mapfile -t queries < <("$BENCH" --print-lists)
  fi
  local collected="" page
  for q in "${queries[@]}"; do
    # What the first page holds (a partial page has a next_cursor).
    page=$(curl -s --max-time 600 -H 'Authorization: Bearer demo-pr-rotterdam' "http://127.0.0.1:$PORT/v1/cases$q" |
      python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
    print(len(d["cases"]), "cases, next_cursor", "set" if d.get("next_cursor") else "null")
except Exception as e:
    print("not understood:", e)' 2>&1)
    echo "  $q: first page $page"
    out=$("${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections 1 --cases 0 --mix list=1 --list "$q" \
      "${lenient[@]}" --events "$SCALE_REQUESTS" --duration "$SCALE_SECONDS" --timeout $((SCALE_SECONDS + 600)) 2>&1) &&
      brc=0 || brc=$?
    echo "$out" | grep -E '^  list_|first non-2xx|TIMED OUT' | sed 's/^/  /'
    [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
    line=$(echo "$out" | grep '^RESULT' || true)
    collected="$collected ${line#RESULT mode=mix }"
  done
  echo "== inbox ($SCALE_REQUESTS requests, 1 connection)"
  out=$("${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections 1 --cases 0 --mix inbox=1 \
    --events "$SCALE_REQUESTS" --duration "$SCALE_SECONDS" --timeout $((SCALE_SECONDS + 600)) 2>&1) && brc=0 || brc=$?
  echo "$out" | grep -E '^  inbox|first non-2xx|TIMED OUT' | sed 's/^/  /'
  [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
  line=$(echo "$out" | grep '^RESULT' || true)
  collected="$collected ${line#RESULT mode=mix }"
  # How long a read holds the loop: GET /healthz on its own connection while
  # another connection runs the list queries in turn.
  local probe_lists=() pid_l brc_l=0 hz_max=- hz_p99=-
  for q in "${queries[@]}"; do probe_lists+=(--list "$q"); done
  echo "== loop probe: GET /healthz on 1 connection while 1 connection runs the ${#queries[@]} list queries in" \
    "turn, $SCALE_PROBE_SECONDS s"
  "${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections 1 --cases 0 --mix list=1 "${probe_lists[@]}" "${lenient[@]}" \
    --duration "$SCALE_PROBE_SECONDS" --timeout $((SCALE_PROBE_SECONDS + 600)) >"$TMP/scale-probe-lists.out" 2>&1 &
  pid_l=$!
  out=$("${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections 1 --cases 0 --mix healthz=1 \
    --duration "$SCALE_PROBE_SECONDS" --timeout $((SCALE_PROBE_SECONDS + 600)) 2>&1) && brc=0 || brc=$?
  wait "$pid_l" || brc_l=$?
  echo "$out" | grep -E '^  (requests|kind|healthz)|first non-2xx|TIMED OUT' | sed 's/^/  /' || true
  grep -E '^  (requests|list_)|first non-2xx|TIMED OUT' "$TMP/scale-probe-lists.out" | sed 's/^/  /' || true
  [ "$brc" = 0 ] && [ "$brc_l" = 0 ] || { echo "  casus-bench exit status $brc (healthz) / $brc_l (lists)"; status=1; }
  line=$(echo "$out" | grep '^RESULT' || true)
  hz_p99=$(kv "$line" healthz_p99_ms)
  hz_max=$(kv "$line" healthz_max_ms)
  local mem2
  read -r -a mem2 <<<"$(server_memory)"
  echo "  memory after the queries: RssAnon ${mem2[0]} kB, RssFile ${mem2[1]} kB, VmHWM ${mem2[2]} kB"
  read -r cpu_psi io_psi <<<"$(pressure)"
  echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"
  server_stop || status=1
  server_stderr
  [ -n "${DATA:-}" ] && echo "  the store stays in $DATA (DATA=$DATA MODE=scale bench/run.sh measures it again)"

  # The p99 of each query, from the RESULT fields <name>_p99_ms.
  local fields
  fields=$(echo "$collected" | tr ' ' '\n' | grep -E '^(list_[A-Za-z0-9_]+|inbox)_(p50_ms|p99_ms|n|non2xx)=' | tr '\n' ' ')
  echo "RESULT mode=scale cases=$cases history_entries=$entries startup_listen_ms=$STARTED_MS" \
    "startup_healthz_ms=$hz_ms rss_anon_kb=${mem[0]} rss_file_kb=${mem[1]} rss_anon_after_kb=${mem2[0]}" \
    "rss_file_after_kb=${mem2[1]} store_bytes=$size store_used_bytes=$used bytes_per_case=$((size / cases))" \
    "bytes_per_entry=$((size / entries)) used_bytes_per_case=$((used / cases))" \
    "probe_healthz_p99_ms=${hz_p99:--} probe_healthz_max_ms=${hz_max:--} $fields"
}

# ---- storm -----------------------------------------------------------------

mode_storm() {
  local dir cfg body out brc line before after fired clock_ms mem args cpu_psi io_psi
  STORM_CASES=${STORM_CASES:-100000}
  STORM_CONNS=${STORM_CONNS:-32}
  STORM_READERS=${STORM_READERS:-1}
  STORM_START=${STORM_START:-2027-01-04T09:00:00+01:00}
  STORM_TO=${STORM_TO:-2027-02-01T09:00:00+01:00}
  dir=$TMP/data-storm
  cfg=$TMP/storm-config.json
  # The demo configuration with a start for the manual clock.
  python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["now"] = sys.argv[2]; json.dump(c, open(sys.argv[3], "w"))' \
    "$DEMO_CONFIG" "$STORM_START" "$cfg"
  # Route B cases: each arms the timer antwoordtermijn (see ROUTE_B_BODY).
  body=$ROUTE_B_BODY

  echo "== storm: $STORM_CASES cases with a timer each (clock at $STORM_START), $STORM_CONNS connections"
  server_start "$dir" --clock manual --config "$cfg" || { status=1; return; }
  args=(--port "$PORT" --connections "$STORM_CONNS" --token demo-ab-horizon --create-body "$body"
    --create-only "$STORM_CASES" --timeout 86400)
  [ "$STORM_CASES" -ge 100000 ] && args+=(--interval "${INTERVAL:-30}")
  out=$("${bench_cpu[@]}" "$BENCH" "${args[@]}" 2>&1) && brc=0 || brc=$?
  echo "$out" | sed 's/^/  /'
  [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }

  echo "== storm: PUT /v1/admin/clock {\"now\":\"$STORM_TO\"} while $STORM_READERS connection(s) read"
  before=$(metric casusd_timers_fired_total)
  # 10 more cases of the same kind to read (and 10 more timers).
  out=$("${bench_cpu[@]}" "$BENCH" --port "$PORT" --connections $((STORM_READERS + 1)) --cases 10 \
    --token demo-ab-horizon --create-body "$body" --storm "$STORM_TO" 2>&1) && brc=0 || brc=$?
  echo "$out" | sed 's/^/  /'
  [ "$brc" = 0 ] || { echo "  casus-bench exit status $brc"; status=1; }
  after=$(metric casusd_timers_fired_total)
  fired=$((${after:-0} - ${before:-0}))
  line=$(echo "$out" | grep '^RESULT' || true)
  clock_ms=$(kv "$line" clock_ms)
  echo "  timers fired: $fired (casusd_timers_fired_total $before -> $after), expected $((STORM_CASES + 10))"
  echo "  longest time without a read answered: $(kv "$line" read_stall_ms) ms"
  echo "  time to fire all: ${clock_ms:-?} ms," \
    "$(awk -v f="$fired" -v ms="${clock_ms:-0}" 'BEGIN { if (ms > 0) printf "%.0f", f / ms * 1000; else print "?" }') timers/s"
  read -r -a mem <<<"$(server_memory)"
  read -r cpu_psi io_psi <<<"$(pressure)"
  echo "  machine:  CPU pressure ${cpu_psi}%, I/O pressure ${io_psi}% (some, avg10); load $(cut -d' ' -f1 /proc/loadavg)"
  server_stop || status=1
  server_check "$dir" || status=1
  echo "RESULT mode=storm cases=$STORM_CASES fired=$fired clock_ms=${clock_ms:--}" \
    "timers_per_s=$(awk -v f="$fired" -v ms="${clock_ms:-0}" 'BEGIN { if (ms > 0) printf "%.0f", f / ms * 1000; else print "-" }')" \
    "readers=$STORM_READERS read_stall_ms=$(kv "$line" read_stall_ms) reads_during=$(kv "$line" during_n)" \
    "during_before_put=$(kv "$line" during_before_put)" \
    "during_p50_ms=$(kv "$line" during_p50_ms) during_p99_ms=$(kv "$line" during_p99_ms)" \
    "during_max_ms=$(kv "$line" during_max_ms) reads_non2xx=$(kv "$line" reads_non2xx)" \
    "rss_anon_kb=${mem[0]} rss_file_kb=${mem[1]}"
}

# ---- the mode --------------------------------------------------------------

case "$MODE" in
  write) mode_write ;;
  side-by-side) mode_side_by_side ;;
  mixed) mode_mixed ;;
  scale) mode_scale ;;
  storm) mode_storm ;;
esac
exit $status
