#!/usr/bin/env bash
# Fuzzes what swiftrace reads from ELF files other people write (uprobe and usdt targets, programs
# in a traced stack) with libFuzzer: symbol tables, USDT notes, build ids, segments, DWARF (see
# Sources/SwiftraceFuzzing/ELFFuzzPipeline.swift). A crash, a hang (-timeout) or runaway memory is a
# finding, saved in .build-fuzz/elf-findings; replay one with .build/debug/swiftrace-fuzz-elf FILE.
#   scripts/fuzz-elf.sh                  # until stopped
#   scripts/fuzz-elf.sh -runs=1000000    # any libFuzzer option
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SWIFTRACE_FUZZ_NO_SETUP:-}" = 1 ] || scripts/setup.sh
swift build -c release --product swiftrace-fuzz-elf --scratch-path .build-fuzz --sanitize=fuzzer \
  -Xswiftc -DSWIFTRACE_LIBFUZZER 2>&1 | grep -E "error|Compiling|complete" | tail -3
# Seeds: the test programs (DWARF, USDT notes, C++ names) and small binaries and libraries of
# this machine.
seeds=.build-fuzz/elf-seeds corpus=.build-fuzz/elf-corpus findings=.build-fuzz/elf-findings
mkdir -p "$seeds" "$corpus" "$findings"
cc -O1 -g -o "$seeds/uprobe_target" Tests/Fixtures/uprobe_target.c
g++ -O1 -g -o "$seeds/cpp_target" Tests/Fixtures/cpp_target.cc
cc -O0 -o "$seeds/stripped" -s Tests/Fixtures/uprobe_target.c
for f in /usr/bin/true /usr/bin/env /usr/lib/x86_64-linux-gnu/libdl.so.2 /usr/lib/x86_64-linux-gnu/libutil.so.1; do
  [ -f "$f" ] && cp "$f" "$seeds/"
done
# libFuzzer saves the input of a crash only if its own signal handler sees it first.
export SWIFT_BACKTRACE=enable=no
exec .build-fuzz/release/swiftrace-fuzz-elf -max_len=131072 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$findings/" -print_final_stats=1 "$@" "$corpus" "$seeds"
