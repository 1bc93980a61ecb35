#!/usr/bin/env bash
# Installs the Debian packages casusd needs to build, test and benchmark
# (clang and its compiler-rt for the fuzz harnesses of tests/fuzz/,
# clang-format for the format test, redis-server and redis-tools for the
# side-by-side mode of bench/run.sh; libcjose-dev verifies OIDC tokens,
# python3-jwt and python3-cryptography mint them in tests/api/test_oidc.py).
# Idempotent: packages already present are not fetched again.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libuv1-dev libjansson-dev liblmdb-dev
      libhttp-parser-dev libcjose-dev lmdb-utils curl python3 python3-jwt
      python3-cryptography valgrind graphviz
      libclang-rt-14-dev clang clang-format redis-server redis-tools)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
