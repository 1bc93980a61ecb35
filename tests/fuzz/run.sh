#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ with clang into build-fuzz/
# and runs each one for SECONDS (default 20) on a copy of its seed corpus
# (tests/fuzz/corpus/<harness>/, left untouched).  Fails when a harness
# crashes, leaks, trips a sanitizer or one of its own checks; the input that
# did it is kept in build-fuzz/crashes/<harness>/ and the log is printed.
#
#   bash tests/fuzz/run.sh 20            # the short run of scripts/test.sh
#   bash tests/fuzz/run.sh 3600 fuzz_http  # one harness, an hour (docs/fuzzing.md)
#
# Environment: CASUS_FUZZ_JOBS (default 1: parallel libFuzzer workers per
# harness), CASUS_FUZZ_KEEP=1 keeps the grown corpus in build-fuzz/corpus/
# (otherwise a temporary folder is used and removed).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
seconds="${1:-20}"
shift || true
harnesses=("$@")
[ "${#harnesses[@]}" -gt 0 ] || harnesses=(fuzz_http fuzz_event_body fuzz_chart)
jobs="${CASUS_FUZZ_JOBS:-1}"

if ! command -v clang >/dev/null; then
  echo "fuzz: clang is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

echo "== build (clang, libFuzzer + ASan + UBSan) into build-fuzz =="
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASUS_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc 2>/dev/null || echo 2)" --target "${harnesses[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for h in "${harnesses[@]}"; do
  dict="tests/fuzz/${h#fuzz_}.dict"
  if [ "${CASUS_FUZZ_KEEP:-0}" = 1 ]; then
    corpus="build-fuzz/corpus/$h"
  else
    corpus="$work/corpus/$h"
  fi
  crashes="build-fuzz/crashes/$h"
  mkdir -p "$corpus" "$crashes"
  cp -n tests/fuzz/corpus/"$h"/* "$corpus"/
  # Charts are large documents; the other inputs are requests.
  max_len=65536
  [ "$h" = fuzz_chart ] && max_len=131072
  args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$root/$crashes/")
  [ -f "$dict" ] && args+=(-dict="$root/$dict")
  [ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
  echo "== $h: ${seconds}s on $(ls "$corpus" | wc -l) inputs =="
  log="build-fuzz/$h.log"
  case "$corpus" in /*) ;; *) corpus="$root/$corpus" ;; esac
  # From the temporary folder: with -jobs libFuzzer writes fuzz-N.log files into the current one.
  if (cd "$work" && "$root/build-fuzz/$h" "${args[@]}" "$corpus") >"$log" 2>&1; then
    grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec' "$log" || true
    echo "fuzz ok: $h"
  else
    echo "fuzz FAILED: $h (log: $log; reproducer in $crashes/)"
    grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse|RELOAD)' "$log" | tail -60
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
echo "fuzz: all ${#harnesses[@]} harnesses ran ${seconds}s without a finding"
