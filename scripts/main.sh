#!/usr/bin/env bash
# Installs what is missing, builds lbsim and runs the main job.
# Usage: scripts/main.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh

cmake -S . -B build >/dev/null
cmake --build build -j "$jobs"

# TODO: run the topology scenarios with plots once lbsim exists; until then
# the engine benchmark shows what the engine does.
build/bench/phold --nlp 1024 --start-events 16 --remote 0.25 --mean 1.0 \
    --lookahead 0.1 --end 100
