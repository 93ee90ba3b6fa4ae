#!/usr/bin/env bash
# Builds swiftrace (release), installs what the benchmark needs, and prints the side-by-side table.
# As root: bench/run.sh   (BENCH_RUNS=N sets the runs per figure; default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for package in bpftool time; do
  if ! dpkg -s "$package" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  fi
done
swift build -c release --product swiftrace 2>&1 | tail -1
swift build -c release --product swiftrace-run 2>&1 | tail -1
exec python3 bench/run.py
