#!/usr/bin/env bash
# Sets up the machine, builds swiftrace (release) and runs an example trace: system calls counted
# by process while `ls /` runs (examples/syscount.st). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product swiftrace
exec .build/release/swiftrace -c "ls /" examples/syscount.st
