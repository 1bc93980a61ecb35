#!/usr/bin/env bash
# Installs the dependencies, builds casusd and starts the demo server
# (`casusd serve` with its embedded default) on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"
exec ./build/casusd serve "$@"
