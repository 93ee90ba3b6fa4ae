#!/usr/bin/env bash
# Installs what swiftrace needs on Debian 12 (run as root), and mounts tracefs if it is missing.
# Safe to run again: it installs only what is absent.
set -euo pipefail

packages=(
  llvm-dev       # LLVM 14 C API and libLLVM-14 (the in-process BPF backend)
  libclang-dev   # libclang 14 (C definitions in scripts, later issues)
  libbpf-dev     # libbpf 1.1: loading, maps, attach, ring buffer
  libelf-dev     # libbpf's ELF dependency
  pkg-config     # SwiftPM finds libbpf through pkg-config
  bpftrace       # bpftrace 0.17: the reference the differential tests compare against
  gcc            # builds the programs the uprobe tests trace
  g++            # and the C++ one (demangled uprobe names)
  systemtap-sdt-dev  # sys/sdt.h: USDT probes in that program
  libdw-dev      # elfutils libdw/libdwfl: DWARF of uprobe targets (args, struct types), debug files
  libc6-dbg      # libc's separate debug file: the ustack tests name its local functions
  xz-utils       # and MiniDebugInfo, which the tests make (xz-compressed .gnu_debugdata)
  prometheus     # promtool and a real server: the --metrics tests validate and scrape the maps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tracepoint formats and attachment need tracefs.
if [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

# The man page and shell completions (Docs/, generated from the argument parser:
# scripts/generate-docs.sh regenerates them).
install -D -m 644 Docs/swiftrace.1 /usr/local/share/man/man1/swiftrace.1
install -D -m 644 Docs/completions/swiftrace.bash /usr/share/bash-completion/completions/swiftrace
install -D -m 644 Docs/completions/swiftrace.zsh /usr/local/share/zsh/site-functions/_swiftrace
install -D -m 644 Docs/completions/swiftrace.fish /usr/share/fish/vendor_completions.d/swiftrace.fish
