#!/usr/bin/env python3
"""swiftrace's benchmark: swiftrace, bpftrace 0.17 and hand-written C measured side by side in one run.

Run as root from the repository (bench/run.sh installs what it needs and calls this). Prints a table
of figures and ratios; the machine is noisy, so each figure is the minimum (times) or median of
several runs, and only ratios taken in the same run mean anything.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(tempfile.gettempdir(), "swiftrace-bench")
SWIFTRACE = os.environ.get("SWIFTRACE", os.path.join(ROOT, ".build", "release", "swiftrace"))
RUNNER = os.path.join(os.path.dirname(SWIFTRACE), "swiftrace-run")
# The compile cache of the runs here, emptied at the start.
CACHE = os.path.join(BUILD, "cache")
BPFTRACE = shutil.which("bpftrace")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# BENCH_ONLY=startup,size,events,printf,compile,wildcard,stop runs some sections.
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))


def wanted(section):
    return not ONLY or section in ONLY
LOOP = int(os.environ.get("BENCH_LOOP", "2000000"))

# Per-event scripts on sys_enter_getppid, each with the floor program doing the same work by hand.
EVENT_SCRIPTS = [
    ("@[comm] = count()", "count_comm"),
    ("@ = count()", "count_total"),
    ("@ = hist(pid)", "hist_pid"),
    ("@[tid] = sum(pid)", "sum_by_tid"),
    ('printf("%d\\n", pid)', "printf_pid"),
]


def build():
    os.makedirs(BUILD, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    clang = shutil.which("clang") or shutil.which("clang-14")
    # -I for asm/types.h: the BPF target has no multiarch include directory of its own.
    subprocess.run([clang, "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-c", os.path.join(HERE, "floor.bpf.c"),
                    "-o", os.path.join(BUILD, "floor.bpf.o")], check=True)
    subprocess.run([cc, "-O2", os.path.join(HERE, "floor.c"), "-o", os.path.join(BUILD, "floor"), "-lbpf", "-lpthread"],
                   check=True)
    subprocess.run([cc, "-O2", os.path.join(HERE, "sysloop.c"), "-o", os.path.join(BUILD, "sysloop")], check=True)


def sysloop(n=LOOP):
    return [os.path.join(BUILD, "sysloop"), str(n)]


def run_timed(argv, env=None):
    """Wall seconds and peak RSS (KiB) of one run. The RSS is /usr/bin/time's report: a child's
    ru_maxrss as Python sees it counts the Python process it was forked from (about 15 MB here,
    even for /bin/true), while time(1) is a small C program (its own share is about 1.5 MB)."""
    with tempfile.NamedTemporaryFile("r") as report:
        start = time.perf_counter()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", report.name] + argv,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        status = p.wait()
        wall = time.perf_counter() - start
        lines = [l for l in report.read().split() if l.isdigit()]
    return wall, int(lines[-1]) if lines else 0, status


def detached_after(binaries, limit=180):
    """Seconds until no process runs one of `binaries`: swiftrace hands its links to a child that
    closes them after it has exited, and the kernel takes tens of milliseconds per tracepoint to
    detach (a grace period each, under the trace-event lock). A run that starts meanwhile waits for
    that lock on every tracepoint it opens, so timing it would time the previous run's teardown."""
    targets = {os.path.realpath(b) for b in binaries}
    start = time.perf_counter()
    def runs_one(pid):
        try:
            return os.path.realpath(f"/proc/{pid}/exe") in targets
        except OSError:
            return False
    while time.perf_counter() - start < limit:
        if not any(pid.isdigit() and int(pid) != os.getpid() and runs_one(pid) for pid in os.listdir("/proc")):
            break
        time.sleep(0.05)
    return time.perf_counter() - start


class Tracer:
    """A tracer running a script, started and stopped the way a harness drives bpftrace."""

    def __init__(self, binary, args, out=subprocess.DEVNULL):
        env = dict(os.environ, __BPFTRACE_NOTIFY_PROBES_ATTACHED="1")
        self.start = time.perf_counter()
        self.p = subprocess.Popen([binary] + args, stdout=out, stderr=subprocess.PIPE, env=env, text=True)
        for line in self.p.stderr:
            if "__BPFTRACE_NOTIFY_PROBES_ATTACHED" in line:
                self.attached = time.perf_counter()
                return
        raise RuntimeError(f"{binary} {args} never attached (exit {self.p.wait()})")

    def stop(self):
        """SIGINT; seconds from the signal that worked until the process is gone. bpftrace 0.17
        sometimes misses a SIGINT that arrives right after it reports being attached, so the
        signal is sent again after 5 s (timed from then)."""
        self.p.stderr.close()
        while True:
            t0 = time.perf_counter()
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(timeout=5)
                return time.perf_counter() - t0
            except subprocess.TimeoutExpired:
                continue


def ns_per_call(argv):
    return float(subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip())


def with_tracer(binary, args):
    t = Tracer(binary, args)
    try:
        return ns_per_call(sysloop())
    finally:
        t.stop()


def with_floor(program):
    out = subprocess.run([os.path.join(BUILD, "floor"), os.path.join(BUILD, "floor.bpf.o"), program,
                          " ".join(sysloop())], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def instructions(name_prefix):
    """(xlated, jited) instructions/bytes of the loaded programs whose names start with the prefix."""
    progs = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True).stdout or "[]")
    for p in progs:
        if p.get("name", "").startswith(name_prefix):
            return p.get("bytes_xlated", 0) // 8, p.get("bytes_jited", 0)
    return None


def program_size(binary, args, prefix):
    t = Tracer(binary, args)
    try:
        return instructions(prefix)
    finally:
        t.stop()


def floor_size(program):
    p = subprocess.Popen([os.path.join(BUILD, "floor"), os.path.join(BUILD, "floor.bpf.o"), program, "sleep 1"])
    time.sleep(0.5)
    size = instructions(program[:15])
    p.wait()
    return size


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def fmt(x, unit=""):
    return "-" if x is None else (f"{x:.1f}{unit}" if isinstance(x, float) else f"{x}{unit}")


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def fmt3(x):
    return "-" if x is None else f"{x:.3f}"


def main():
    if os.geteuid() != 0:
        sys.exit("bench: run as root (BPF)")
    build()
    shutil.rmtree(CACHE, ignore_errors=True)
    os.makedirs(CACHE, mode=0o700)
    os.environ["SWIFTRACE_CACHE_DIR"] = CACHE
    have_bpftrace = BPFTRACE is not None
    if not have_bpftrace:
        print("bench: bpftrace is not installed; its columns are left out (apt-get install bpftrace)\n")
    uname = os.uname()
    print(f"machine: {uname.sysname} {uname.release}, {os.cpu_count()} CPUs; {RUNS} runs per figure\n")

    # 1. Start-up: BEGIN { exit(); }, process start to exit, and peak RSS: compiling, from the
    # compile cache, and from an artefact run by swiftrace-run.
    if wanted("startup"):
        print("## Start-up: `BEGIN { exit(); }`\n")
        rows = [["tracer", "wall ms (median)", "max RSS MB (median)"]]
        results = {}
        artefact = os.path.join(BUILD, "begin.run")
        subprocess.run([SWIFTRACE, "--aot", artefact, "-e", "BEGIN { exit(); }"], check=True)
        subprocess.run([SWIFTRACE, "-e", "BEGIN { exit(); }"], stdout=subprocess.DEVNULL, check=True)  # fills the cache
        variants = [("swiftrace, compiling (--no-cache)", [SWIFTRACE, "--no-cache", "-e", "BEGIN { exit(); }"]),
                    ("swiftrace, warm compile cache", [SWIFTRACE, "-e", "BEGIN { exit(); }"]),
                    ("swiftrace-run ARTEFACT", [RUNNER, artefact]),
                    ("bpftrace", [BPFTRACE, "-e", "BEGIN { exit(); }"] if BPFTRACE else None)]
        for name, argv in variants:
            if argv is None:
                continue
            runs = [run_timed(argv) for _ in range(max(RUNS, 9))]
            wall = statistics.median(r[0] for r in runs) * 1000
            rss = statistics.median(r[1] for r in runs) / 1024
            results[name] = (wall, rss)
            rows.append([name, fmt(wall), fmt(rss)])
        compiling = results["swiftrace, compiling (--no-cache)"]
        for name in ["swiftrace, warm compile cache", "swiftrace-run ARTEFACT"]:
            rows.append([f"{name} / compiling", ratio(results[name][0], compiling[0]), ratio(results[name][1], compiling[1])])
        if "bpftrace" in results:
            rows.append(["bpftrace / swiftrace compiling", ratio(results["bpftrace"][0], compiling[0]),
                         ratio(results["bpftrace"][1], compiling[1])])
        table(rows)

    # 1b. The runner ships without a compiler: its size beside swiftrace's, and LLVM's symbols in it.
    if wanted("size"):
        print("\n## Binary size: swiftrace-run beside swiftrace\n")
        rows = [["binary", "MB as built", "MB stripped", "LLVM/libclang symbols"]]
        sizes = {}
        for name, binary in [("swiftrace", SWIFTRACE), ("swiftrace-run", RUNNER)]:
            stripped = os.path.join(BUILD, name + ".stripped")
            subprocess.run(["strip", "-o", stripped, binary], check=True)
            symbols = subprocess.run(["nm", binary], capture_output=True, text=True).stdout.splitlines()
            llvm = sum(1 for l in symbols if l.split()[-1].startswith(("LLVM", "_ZN4llvm", "_ZN5clang", "clang_")))
            sizes[name] = (os.path.getsize(binary), os.path.getsize(stripped))
            rows.append([name, fmt(sizes[name][0] / 1e6), fmt(sizes[name][1] / 1e6), llvm])
        rows.append(["swiftrace-run / swiftrace", ratio(sizes["swiftrace-run"][0], sizes["swiftrace"][0]),
                     ratio(sizes["swiftrace-run"][1], sizes["swiftrace"][1]), ""])
        needed = subprocess.run(["readelf", "-d", RUNNER], capture_output=True, text=True).stdout
        libraries = [l.split("[")[1].rstrip("]") for l in needed.splitlines() if "(NEEDED)" in l]
        table(rows)
        print("\nswiftrace-run needs: " + ", ".join(libraries))

    # 2. Per-event program cost on sys_enter_getppid, against the hand-written floor.
    if wanted("events"):
        print("\n## Per-event program cost on `tracepoint:syscalls:sys_enter_getppid` (ns per getppid above `empty`)\n")
        baseline = min(ns_per_call(sysloop()) for _ in range(RUNS))
        empty = min(with_floor("empty") for _ in range(RUNS))
        print(f"nothing attached: {baseline:.1f} ns; hand-written empty program: {empty:.1f} ns\n")
        rows = [["script", "floor", "swiftrace", "bpftrace", "swiftrace / floor", "bpftrace / floor",
                 "insns floor", "insns swiftrace", "insns bpftrace"]]
        for script, floor_program in EVENT_SCRIPTS:
            program = "tracepoint:syscalls:sys_enter_getppid { " + script + "; }"
            floor = min(with_floor(floor_program) for _ in range(RUNS)) - empty
            ours = min(with_tracer(SWIFTRACE, ["-e", program, "-o", "/dev/null"]) for _ in range(RUNS)) - empty
            theirs = (min(with_tracer(BPFTRACE, ["-e", program, "-o", "/dev/null"]) for _ in range(RUNS)) - empty
                      if have_bpftrace else None)
            floor_insns = floor_size(floor_program)
            our_insns = program_size(SWIFTRACE, ["-e", program, "-o", "/dev/null"], "p0_")
            their_insns = program_size(BPFTRACE, ["-e", program, "-o", "/dev/null"], "sys_enter_getpp") if have_bpftrace else None
            rows.append([f"`{script}`", fmt(floor), fmt(ours), fmt(theirs), ratio(ours, floor), ratio(theirs, floor),
                         fmt(floor_insns and floor_insns[0]), fmt(our_insns and our_insns[0]),
                         fmt(their_insns and their_insns[0])])
        table(rows)

    # 3. printf throughput: every event of 1M getppid() calls, delivered or counted as lost.
    if wanted("printf"):
        print("\n## printf events from 1M getppid() calls\n")
        rows = [["tracer", "delivered", "lost", "seconds", "events/s"]]
        rates = {}
        for name, binary in [("swiftrace", SWIFTRACE), ("bpftrace", BPFTRACE)]:
            if binary is None:
                continue
            with tempfile.NamedTemporaryFile("r") as out:
                script = 'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { printf("%d\\n", pid); }'
                start = time.perf_counter()
                subprocess.run([binary, "-c", " ".join(sysloop(1000000)), "-e", script, "-o", out.name],
                               stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
                seconds = time.perf_counter() - start
                lines = out.read().splitlines()
            delivered = sum(1 for l in lines if l.strip().isdigit() and len(l.strip()) < 9)
            lost = sum(int(l.split()[1]) for l in lines if l.startswith("Lost "))
            rates[name] = delivered / seconds
            rows.append([name, delivered, lost, fmt(seconds), f"{rates[name]:.0f}"])
        if "bpftrace" in rates:
            rows.append(["swiftrace / bpftrace", "", "", "", ratio(rates["swiftrace"], rates["bpftrace"])])
        table(rows)

    # 4. Compile time of a generated 1000-line script (many probes, maps, printf).
    if wanted("compile"):
        print("\n## Compile time of a generated 1000-line script\n")
        script_path = os.path.join(BUILD, "big.bt")
        with open(script_path, "w") as f:
            tracepoints = sorted(os.listdir("/sys/kernel/tracing/events/syscalls"))[:100]
            for i, tp in enumerate(t for t in tracepoints if t.startswith("sys_")):
                f.write(f"tracepoint:syscalls:{tp} /pid != {i}/ {{\n  @calls{i}[comm] = count();\n"
                        f"  @bytes{i} = sum(cpu);\n  $x = nsecs % 7;\n  if ($x > 3) {{\n    @hist{i} = hist($x);\n  }}\n"
                        f"  printf(\"{tp} %d %s\\n\", pid, comm);\n}}\n\n")
        lines = sum(1 for _ in open(script_path))
        rows = [["tracer", f"seconds to compile {lines} lines"]]
        start = time.perf_counter()
        subprocess.run([SWIFTRACE, "--emit-elf", os.path.join(BUILD, "big.o"), script_path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows.append(["swiftrace (compile to a BPF object: --emit-elf)", fmt(time.perf_counter() - start)])
        start = time.perf_counter()
        subprocess.run([SWIFTRACE, "--dry-run", script_path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ours = time.perf_counter() - start
        rows.append(["swiftrace (compile, load and verify: --dry-run)", fmt(ours)])
        if have_bpftrace:
            # bpftrace 0.17 has no dry run: the time until it starts attaching.
            start = time.perf_counter()
            p = subprocess.Popen([BPFTRACE, script_path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            p.stdout.readline()
            theirs = time.perf_counter() - start
            p.send_signal(signal.SIGINT)
            p.wait()
            rows.append(["bpftrace (until 'Attaching N probes...')", fmt(theirs)])
        table(rows)

        # One probe of N statements: compiled (1,000), or refused as too large for BPF (10,000 and
        # 100,000: found before LLVM runs, so the time grows with the script, not with LLVM).
        print("\n## One probe of N statements: seconds until compiled or refused (--emit-elf)\n")
        rows = [["statements", "swiftrace seconds", "outcome"]]
        for n in (1_000, 10_000, 100_000):
            path = os.path.join(BUILD, f"statements{n}.bt")
            with open(path, "w") as f:
                f.write("BEGIN {\n" + "".join(f"  @a{i % 50} = {i};\n" for i in range(n)) + "  exit();\n}\n")
            start = time.perf_counter()
            r = subprocess.run([SWIFTRACE, "--emit-elf", os.path.join(BUILD, "statements.o"), path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            outcome = "compiled" if r.returncode == 0 else ("refused: too large" if "too large" in r.stderr else "failed")
            rows.append([f"{n:,}", fmt(time.perf_counter() - start), outcome])
        table(rows)

    # 5. A wildcard over every system call entry: start to exit, where loading and attaching
    # hundreds of probes is the work (swiftrace loads one program for all of them).
    if wanted("wildcard"):
        count = len([t for t in os.listdir("/sys/kernel/tracing/events/syscalls") if t.startswith("sys_enter_")])
        print(f"\n## `tracepoint:syscalls:sys_enter_*` ({count} probes): seconds from start to exit\n")
        script = "tracepoint:syscalls:sys_enter_* { @[probe] = count(); } interval:ms:1 { exit(); }"
        rows = [["tracer", "seconds (median)", "max RSS MB (median)", "detached, seconds after exit (median)"]]
        results = {}
        artefact = os.path.join(BUILD, "wildcard.run")
        subprocess.run([SWIFTRACE, "--aot", artefact, "-e", script], check=True)
        subprocess.run([SWIFTRACE, "-e", script], stdout=subprocess.DEVNULL, check=True)  # fills the cache
        variants = [("swiftrace, compiling (--no-cache)", [SWIFTRACE, "--no-cache", "-e", script], RUNS),
                    ("swiftrace, warm compile cache", [SWIFTRACE, "-e", script], RUNS),
                    ("swiftrace-run ARTEFACT", [RUNNER, artefact], RUNS),
                    ("bpftrace", [BPFTRACE, "-e", script] if BPFTRACE else None, 1)]
        # Interleaved; each run starts once the previous one's links are gone from the kernel (see
        # detached_after; bpftrace detaches before it exits, so its time includes that).
        runs = {name: [] for name, argv, _ in variants if argv is not None}
        detached = {name: [] for name in runs}
        tracers = [SWIFTRACE, RUNNER] + ([BPFTRACE] if BPFTRACE else [])
        detached_after(tracers)
        for round in range(RUNS):
            for name, argv, n in variants:
                if argv is not None and round < n:
                    time.sleep(0.5)
                    runs[name].append(run_timed(argv))
                    detached[name].append(detached_after(tracers))
        for name in runs:
            results[name] = statistics.median(r[0] for r in runs[name])
            rows.append([name, fmt3(results[name]), fmt(statistics.median(r[1] for r in runs[name]) / 1024),
                         fmt(statistics.median(detached[name]))])
        compiling = results["swiftrace, compiling (--no-cache)"]
        for name in ["swiftrace, warm compile cache", "swiftrace-run ARTEFACT"]:
            rows.append([f"{name} / compiling", ratio(results[name], compiling), "", ""])
        if "bpftrace" in results:
            rows.append(["bpftrace / swiftrace compiling", ratio(results["bpftrace"], compiling), "", ""])
        table(rows)

    # 6. SIGINT to exit with 6 tracepoints attached (opensnoop-like).
    if wanted("stop"):
        print("\n## SIGINT to exit, 6 tracepoints attached\n")
        script = ("tracepoint:syscalls:sys_enter_open, tracepoint:syscalls:sys_enter_openat, "
                  "tracepoint:syscalls:sys_enter_openat2 { @[comm] = count(); } "
                  "tracepoint:syscalls:sys_exit_open, tracepoint:syscalls:sys_exit_openat, "
                  "tracepoint:syscalls:sys_exit_openat2 { @ret = count(); }")
        rows = [["tracer", "ms from SIGINT to exit (median)"]]
        for name, binary in [("swiftrace", SWIFTRACE), ("bpftrace", BPFTRACE)]:
            if binary is None:
                continue
            times = []
            for _ in range(RUNS):
                t = Tracer(binary, ["-e", script, "-o", "/dev/null"])
                time.sleep(0.2)
                times.append(t.stop() * 1000)
            rows.append([name, fmt(statistics.median(times))])
        table(rows)

if __name__ == "__main__":
    main()
