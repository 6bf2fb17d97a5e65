#!/usr/bin/env bash
# Installs what is missing, builds lbsim and runs the main job: every
# scenario in scenarios/ is run and checked, with its outputs and plots in
# out/<scenario name>, and a table of verdicts at the end.
# Usage: scripts/main.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh

cmake -S . -B build >/dev/null
cmake --build build -j "$jobs"

# Every scenario file, checked, with its outputs and plots in out/<name>.
build/sim/lbsim check scenarios/*.yaml --out out --plot
