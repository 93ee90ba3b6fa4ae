#!/usr/bin/env bash
# Sets up the machine, builds swiftrace and runs the whole test suite. Runtime tests load BPF
# programs and need root; without it they are reported as skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build
