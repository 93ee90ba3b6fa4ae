#!/usr/bin/env bash
# Regenerates the man page and the shell completions from the argument parser's definitions
# (CLITests.completionsAndManPageAreCurrent fails when they are stale).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swift package --allow-writing-to-package-directory generate-manual --output-directory "$out" \
  --date "$(date +%Y-%m-%d)" --authors "the swiftrace developers" >/dev/null
# swiftrace has no subcommands; the generator lists one anyway.
sed '/^\.Ar subcommand$/d' "$out/swiftrace.1" > Docs/swiftrace.1
swift build --product swiftrace >/dev/null
for shell in bash zsh fish; do .build/debug/swiftrace --generate-completion-script "$shell" > "Docs/completions/swiftrace.$shell"; done
echo "generate-docs: Docs/swiftrace.1, Docs/completions/swiftrace.{bash,zsh,fish}"
