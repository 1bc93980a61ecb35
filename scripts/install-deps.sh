#!/usr/bin/env bash
# Installs the Debian packages casusd needs to build, test and benchmark
# (clang and its compiler-rt for the fuzz harnesses of tests/fuzz/,
# clang-format for the format test, redis-server and redis-tools for the
# side-by-side mode of bench/run.sh, chromium and node for the browser tests
# of the werkbank in tests/ui/; libcjose-dev verifies OIDC tokens,
# python3-jwt and python3-cryptography mint them in tests/api/test_oidc.py;
# prometheus for its promtool, which checks a live scrape of /metrics and the
# example alert rules of deploy/),
# then the browser tests' npm packages (package-lock.json: playwright-core
# and @axe-core/playwright, exact versions) with `npm ci`.  The browser is
# Debian's chromium: never a downloaded one (no `playwright install`).
# Idempotent: packages already present are not fetched again, and `npm ci`
# runs only when node_modules was not installed from this package-lock.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
pkgs=(build-essential cmake pkg-config libuv1-dev libjansson-dev liblmdb-dev
      libhttp-parser-dev libcjose-dev lmdb-utils curl python3 python3-jwt
      python3-cryptography valgrind graphviz
      libclang-rt-14-dev clang clang-format redis-server redis-tools
      chromium nodejs prometheus)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Debian's nodejs comes without npm (a NodeSource nodejs brings its own).
command -v npm >/dev/null 2>&1 || [[ " ${missing[*]} " == *" nodejs "* ]] || missing+=(npm)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
else
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  command -v npm >/dev/null 2>&1 || $SUDO apt-get install -y -qq --no-install-recommends npm
fi

# The browser tests' node modules, exactly as package-lock.json pins them.
# node_modules/.casus-lock-sha256 records the lock file it was installed from.
lock_sum="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$ROOT/node_modules/.casus-lock-sha256" 2>/dev/null)" = "$lock_sum" ]; then
  echo "install-deps: node_modules matches package-lock.json"
else
  (cd "$ROOT" && npm ci --no-audit --no-fund --ignore-scripts)
  echo "$lock_sum" > "$ROOT/node_modules/.casus-lock-sha256"
fi
