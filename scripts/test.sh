#!/usr/bin/env bash
# Sets up the machine, builds swiftrace and runs the whole test suite. Runtime tests load BPF
# programs and need root; without it they are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
# Each child a test starts has its own time limit; this bounds the whole run as well, so that a hang
# is reported as a failure long before CI's own limit.
timeout --signal=INT --kill-after=30 1200 swift test --skip-build
