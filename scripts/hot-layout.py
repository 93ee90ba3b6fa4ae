#!/usr/bin/env python3
"""Writes scripts/hot-symbols.order: the functions a typical run executes, which the
linker (lld --symbol-ordering-file) places together.

Why: swiftrace links LLVM statically. `BEGIN { exit(); }` executes code on about 2 200 of the
binary's 5 600 code pages (all workloads below together: about 2 800), spread over all of LLVM, and
the kernel maps up to 64 KB around every page fault (fault-around; readahead had already read the
whole file), so 19-21 MB of the binary ended up resident. Packed together: 11-14 MB.

How: a preloaded constructor makes the binary's code pages inaccessible before anything runs; the
first execution on a page raises SIGSEGV, whose handler records the page and makes it executable
again. Every symbol that overlaps a recorded page goes into the list, page by page in the order
the pages were first executed (by address within a page). The
workloads below cover start-up, compilation of every example, loading, printing and the error paths.
Regenerate after large changes (as root, after a release build: scripts/hot-layout.py); a stale list
costs memory, never correctness.
"""
import os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/swiftrace")
ORDER = os.path.join(ROOT, "scripts/hot-symbols.order")
PROFILED = "swiftrace-profiled"  # the copy that runs the workloads

PRELOAD = r"""
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
static uintptr_t base, text_start, text_end;
static int out = -1;
static void on_fault(int sig, siginfo_t *info, void *context) {
  uintptr_t page = (uintptr_t)info->si_addr & ~(uintptr_t)4095;
  if (page < text_start || page >= text_end) { signal(SIGSEGV, SIG_DFL); return; }
  mprotect((void *)page, 4096, PROT_READ | PROT_EXEC);
  uint64_t offset = page - base;
  write(out, &offset, sizeof offset);
}
__attribute__((constructor(101))) static void protect_code(void) {
  const char *name = getenv("HOT_LAYOUT_NAME"), *path = getenv("HOT_LAYOUT_OUT");
  if (!name || !path) return;
  FILE *f = fopen("/proc/self/maps", "r"); char line[512];
  while (f && fgets(line, sizeof line, f)) {
    unsigned long a, b, offset; char perms[5];
    if (sscanf(line, "%lx-%lx %4s %lx", &a, &b, perms, &offset) != 4 || !strstr(line, name)) continue;
    if (offset == 0 && !base) base = a;
    if (perms[2] == 'x') { text_start = a; text_end = b; }
  }
  if (f) fclose(f);
  if (!base || !text_start) return;
  out = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  struct sigaction action = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
  sigaction(SIGSEGV, &action, NULL);
  mprotect((void *)text_start, text_end - text_start, PROT_NONE);
}
"""

# In the order of how common they are: the list follows the order in which pages were first
# executed, so the code of a plain run comes first and is packed densest.
WORKLOADS = [
    ["-e", "BEGIN { exit(); }"],
    ["-e", "BEGIN { printf(\"hi\\n\"); exit(); }"],
    ["-f", "json", "-e", "BEGIN { @a[1] = count(); @b = hist(3); exit(); }"],
    ["-e", "tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); @h = hist(pid); @s[tid] = sum(pid);"
           " printf(\"%d %s\\n\", pid, comm); } interval:ms:200 { exit(); }"],
]
RARE_WORKLOADS = [
    ["--version"],
    ["--help"],
    ["-e", "kprobe:nonexistent_function_x { @ = count(); }"],
    ["-e", "BEGIN { @x = 1 + ; }"],
    ["-l", "tracepoint:syscalls:sys_enter_open*"],
]


def main():
    if os.geteuid() != 0:
        sys.exit("hot-layout: run as root (the workloads load BPF programs)")
    work = tempfile.mkdtemp(prefix="hot-layout-")
    profiled = os.path.join(work, PROFILED)
    shutil.copy(BINARY, profiled)
    with open(os.path.join(work, "protect.c"), "w") as f:
        f.write(PRELOAD)
    preload = os.path.join(work, "protect.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-o", preload, os.path.join(work, "protect.c")], check=True)
    record = os.path.join(work, "pages")
    examples = sorted(os.path.join(ROOT, "examples", e) for e in os.listdir(os.path.join(ROOT, "examples")))
    workloads = WORKLOADS + [["--dry-run", e] for e in examples] + RARE_WORKLOADS
    env = dict(os.environ, LD_PRELOAD=preload, HOT_LAYOUT_NAME=PROFILED, HOT_LAYOUT_OUT=record)
    for args in workloads:
        subprocess.run([profiled] + args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)
    data = open(record, "rb").read() if os.path.exists(record) else b""
    pages = list(dict.fromkeys(int.from_bytes(data[i:i + 8], "little") >> 12 for i in range(0, len(data), 8)))
    if not pages:
        sys.exit("hot-layout: no pages recorded")

    # Every symbol overlapping an executed page: page by page in the order they were first executed,
    # by address within a page.
    symbols = subprocess.run(["nm", "--defined-only", "-S", profiled], check=True, capture_output=True,
                             text=True).stdout
    on_page = {}
    for line in symbols.splitlines():
        fields = line.split()
        if len(fields) != 4 or fields[2] not in "tTwW":
            continue
        start, length = int(fields[0], 16), int(fields[1], 16)
        for page in range(start >> 12, ((start + max(length, 1) - 1) >> 12) + 1):
            on_page.setdefault(page, []).append((start, fields[3]))
    names = list(dict.fromkeys(name for page in pages for _, name in sorted(on_page.get(page, []))))
    with open(ORDER, "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"hot-layout: {len(pages)} code pages executed ({len(pages) * 4} KB); {len(names)} symbols -> "
          f"{os.path.relpath(ORDER, ROOT)}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
