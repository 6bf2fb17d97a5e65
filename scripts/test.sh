#!/usr/bin/env bash
# Installs what is missing, builds lbsim and lbd with warnings as errors, and
# runs every test. With --sanitize, or when CI=true, it then builds again
# with AddressSanitizer and UndefinedBehaviorSanitizer and runs the unit
# tests under them.
# Usage: scripts/test.sh [--sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
if [[ "${1:-}" == "--sanitize" || "${CI:-}" == "true" ]]; then
    sanitize=1
fi
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh --real

cmake -S . -B build -DLB_REAL_MODE=ON -DLB_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

if [[ $sanitize -eq 1 ]]; then
    cmake -S . -B build-sanitize -DLB_REAL_MODE=ON -DLB_WERROR=ON \
        -DLB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-sanitize -j "$jobs"
    ctest --test-dir build-sanitize --output-on-failure -j "$jobs" -L unit
fi
