#!/usr/bin/env bash
# Fuzzes the compiler with libFuzzer: source text through lexer, parser, type checker and code
# generation to a BPF object (nothing is loaded into the kernel); see Sources/SwiftraceFuzzing.
# A crash, a hang (-timeout), runaway memory (-rss_limit_mb), a diagnostic outside the input or a
# checked program that code generation refuses is a finding; libFuzzer saves the input as
# crash-*/timeout-*/oom-* in .build-fuzz/findings. Replay one with .build/debug/swiftrace-fuzz FILE.
#   scripts/fuzz.sh                      # until stopped
#   scripts/fuzz.sh -runs=1000000        # any libFuzzer option
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SWIFTRACE_FUZZ_NO_SETUP:-}" = 1 ] || scripts/setup.sh
swift build -c release --product swiftrace-fuzz --scratch-path .build-fuzz --sanitize=fuzzer \
  -Xswiftc -DSWIFTRACE_LIBFUZZER 2>&1 | grep -E "error|Compiling|complete" | tail -3
# Seeds: every script of the repository and the tools bpftrace installs.
seeds=.build-fuzz/seeds corpus=.build-fuzz/corpus findings=.build-fuzz/findings
mkdir -p "$seeds" "$corpus" "$findings"
find examples Tests/Golden Docs -name '*.st' -o -name '*.bt' | while read -r f; do cp "$f" "$seeds/"; done
cp /usr/sbin/*.bt "$seeds/" 2>/dev/null || true
# Chains of every construct, around the parser's bounds (256 levels, 4096 operators): mutations
# of these reach the depths a recursive pass would overflow at.
chain() { local n=$1 piece=$2 s=""; for ((i = 0; i < n; i++)); do s+=$piece; done; printf '%s' "$s"; }
for n in 250 260; do
  printf 'BEGIN { @x = %s2; }' "$(chain $n '0 ? 1 : ')" > "$seeds/chain-conditional-$n.st"
  printf 'BEGIN { if (pid) { }%s }' "$(chain $n ' else if (pid) { }')" > "$seeds/chain-else-if-$n.st"
  printf 'BEGIN { @x = %s1%s; }' "$(chain $n '(')" "$(chain $n ')')" > "$seeds/chain-parentheses-$n.st"
  printf 'BEGIN { @x = %s1; }' "$(chain $n '-')" > "$seeds/chain-unary-$n.st"
  printf 'BEGIN { %s }' "$(chain $n 'if (1) { ')$(chain $n '}')" > "$seeds/chain-blocks-$n.st"
done
printf 'BEGIN { @x = 1%s; }' "$(chain 4100 '+1')" > "$seeds/chain-operators.st"
# Macros that copy their argument: nested calls grow the tree exponentially (MacroExpander's bounds).
printf 'macro d(x) { x + x }\nBEGIN { @x = %s1%s; }' "$(chain 20 'd(')" "$(chain 20 ')')" > "$seeds/chain-macro-copies.st"
for ((i = 0; i < 70; i++)); do printf 'macro m%d(x) { m%d(x) + 1 }\n' $i $((i + 1)); done > "$seeds/chain-macro-calls.st"
printf 'macro m70(x) { x }\nBEGIN { @x = m0(1); }\n' >> "$seeds/chain-macro-calls.st"
# libFuzzer saves the input of a crash only if its own signal handler sees it first.
export SWIFT_BACKTRACE=enable=no
exec .build-fuzz/release/swiftrace-fuzz -dict=scripts/fuzz.dict -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$findings/" -print_final_stats=1 "$@" "$corpus" "$seeds"
