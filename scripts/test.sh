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
# A short fuzz run of the compiler (scripts/fuzz.sh; about a minute with its build).
SWIFTRACE_FUZZ_NO_SETUP=1 timeout --kill-after=30 900 scripts/fuzz.sh -runs=30000 -seed=1 >.build/fuzz.log 2>&1 \
  || { tail -40 .build/fuzz.log; echo "test: the fuzz run found a problem (.build/fuzz.log, .build-fuzz/findings)" >&2; exit 1; }
grep -E "^Done|number_of_executed_units" .build/fuzz.log
# And of what swiftrace reads from ELF files (scripts/fuzz-elf.sh).
SWIFTRACE_FUZZ_NO_SETUP=1 timeout --kill-after=30 900 scripts/fuzz-elf.sh -runs=30000 -seed=1 >.build/fuzz-elf.log 2>&1 \
  || { tail -40 .build/fuzz-elf.log; echo "test: the ELF fuzz run found a problem (.build/fuzz-elf.log, .build-fuzz/elf-findings)" >&2; exit 1; }
grep -E "^Done|number_of_executed_units" .build/fuzz-elf.log
