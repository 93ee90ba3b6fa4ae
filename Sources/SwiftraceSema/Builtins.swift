import SwiftraceSyntax

/// Builtin variables with their types. IRGen lowers them with an exhaustive switch, so a builtin
/// added here cannot be forgotten there.
public enum Builtin: String, CaseIterable, Sendable {
  case pid, tid, uid, gid, nsecs, elapsed, cpu, comm, cpid, probe, curtask
  case arg0, arg1, arg2, arg3, arg4, arg5, retval, args
  case `func`, kstack, ustack, username, cgroup
  /// The probe's context pointer (`struct pt_regs *`, the tracepoint record, ...), for casts.
  case ctx
  /// A pseudo-random 32-bit number; the NUMA node of the current CPU.
  case rand, numaid
  /// Arguments passed on the stack (after the six in registers) in uprobes and kprobes.
  case sarg0, sarg1, sarg2, sarg3, sarg4, sarg5
  /// The kernel's jiffies (bpf_jiffies64); the number of online CPUs; the parent's pid (bpftrace
  /// 0.18 and later).
  case jiffies, ncpus, ppid
  /// The parent's thread name, as `comm`; the probe's type (`tracepoint`, `special`, ...)
  /// (bpftrace 0.18 and later).
  case pcomm, probetype
  /// 1 when the probe interrupted user mode (the saved code segment's privilege level is 3).
  case usermode
  /// The thread group leader's thread id and name (task->group_leader->pid, ->comm); whether
  /// `-c` started a child, so that `cpid` means something (bpftrace 0.20 and later).
  case leader_tid, leader_comm, has_cpid

  public var type: SType {
    switch self {
    case .comm, .pcomm, .probetype, .leader_comm: return .string(size: 16)
    case .has_cpid: return .bool
    case .probe: return .probe
    case .args: return .tracepointArgs
    case .curtask: return .uint64  // the checker gives it its struct type from BTF
    case .func: return .symbol(.kernelSymbol)  // the checker picks user symbols in uprobes
    case .kstack: return .symbol(.kernelStack(StackFormat()))
    case .ustack: return .symbol(.userStack(StackFormat()))
    case .username: return .symbol(.username)
    case .pid, .tid, .uid, .gid, .nsecs, .elapsed, .cpu, .cpid, .retval, .cgroup, .ctx, .rand, .numaid, .jiffies, .ncpus,
      .ppid, .usermode, .leader_tid, .arg0, .arg1, .arg2, .arg3, .arg4, .arg5,
      .sarg0, .sarg1, .sarg2, .sarg3, .sarg4, .sarg5:
      return .uint64
    }
  }

  /// The probes it has a value in, where that depends on the provider alone.
  public var placement: Placement {
    switch self {
    case .sarg0, .sarg1, .sarg2, .sarg3, .sarg4, .sarg5:
      return .only([.kprobe, .uprobe], why: "'\(rawValue)' is only available in kprobe and uprobe probes")
    case .func:
      return .only([.kprobe, .kretprobe, .uprobe, .uretprobe], why: "'func' is only available in kprobe and uprobe probes")
    case .pid, .tid, .uid, .gid, .nsecs, .elapsed, .cpu, .comm, .cpid, .probe, .curtask, .arg0, .arg1, .arg2, .arg3,
      .arg4, .arg5, .retval, .args, .kstack, .ustack, .username, .cgroup, .ctx, .rand, .numaid, .jiffies, .ncpus, .ppid,
      .pcomm, .probetype, .usermode, .leader_tid, .leader_comm, .has_cpid:
      return .anywhere  // or as the probe's context offers: arguments, retval, args
    }
  }

  /// For sarg0...sarg5, the stack slot's index.
  public var stackArgumentIndex: Int? {
    switch self {
    case .sarg0: return 0
    case .sarg1: return 1
    case .sarg2: return 2
    case .sarg3: return 3
    case .sarg4: return 4
    case .sarg5: return 5
    case .pid, .tid, .uid, .gid, .nsecs, .elapsed, .cpu, .comm, .cpid, .probe, .curtask, .retval, .args, .func,
      .kstack, .ustack, .username, .cgroup, .ctx, .rand, .numaid, .jiffies, .ncpus, .ppid, .pcomm, .probetype, .usermode, .leader_tid, .leader_comm,
      .has_cpid, .arg0, .arg1, .arg2, .arg3, .arg4, .arg5:
      return nil
    }
  }

  /// For arg0...arg5, the argument's index.
  public var argumentIndex: Int? {
    switch self {
    case .arg0: return 0
    case .arg1: return 1
    case .arg2: return 2
    case .arg3: return 3
    case .arg4: return 4
    case .arg5: return 5
    case .pid, .tid, .uid, .gid, .nsecs, .elapsed, .cpu, .comm, .cpid, .probe, .curtask, .retval, .args, .func,
      .kstack, .ustack, .username, .cgroup, .ctx, .rand, .numaid, .jiffies, .ncpus, .ppid, .pcomm, .probetype, .usermode,
      .leader_tid, .leader_comm, .has_cpid, .sarg0, .sarg1, .sarg2, .sarg3, .sarg4, .sarg5:
      return nil
    }
  }
}

/// The argument of `pid(init)`, `tid(curr_ns)`, `nsecs(boot)` (bpftrace 0.21 and later): which
/// namespace's ids, which clock. Without one, the builtin is as bpftrace 0.17 has it: the initial
/// namespace's ids, CLOCK_MONOTONIC.
public enum BuiltinMode: String, CaseIterable, Sendable {
  /// The pid namespace swiftrace runs in; the initial one.
  case currentNamespace = "curr_ns", initialNamespace = "init"
  /// CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI; sw_tai, bpftrace's estimate of TAI for kernels
  /// without the TAI helper, is TAI itself here (the kernel has the helper).
  case monotonic, boot, tai, softwareTAI = "sw_tai"

  /// The modes `builtin` takes.
  public static func modes(of builtin: Builtin) -> [BuiltinMode] {
    switch builtin {
    case .pid, .tid: return [.currentNamespace, .initialNamespace]
    case .nsecs: return [.monotonic, .boot, .tai, .softwareTAI]
    default: return []
    }
  }
}

/// Functions a script can call.
public enum Function: String, CaseIterable, Sendable {
  case printf, exit, str, strncmp, strcontains, sizeof
  case count, sum, min, max, avg, stats, hist, lhist, tseries
  case print, clear, zero, delete
  case time, strftime, ksym, usym, kaddr, ntop, bswap, strerror, kstack, ustack, join
  case buf, cat, system, reg, cgroupid, macaddr, signal, override, kptr, uptr, pton, uaddr, path
  case debugf, cgroup_path, unwatch, skboutput
  /// bpftrace 0.18 and later.
  case is_err, has_key, strlen, syscall_name, getopt, errorf, warnf, signal_name, signal_thread, len
  case strstr, str_concat, strcap, find, memcmp
  /// bpftrace 0.24 and later (--unsafe).
  case write_user
  /// Compile-time errors where reached (bpftrace 0.24 and later).
  case fail, static_assert
  /// The kernel's cookie of a socket (bpftrace 0.23 and later).
  case socket_cookie
  /// `comm(pid)`: another task's name (bpftrace 0.24); `comm` alone is the builtin.
  case comm
  /// The address of a per-CPU kernel variable (bpftrace 0.22 and later).
  case percpu_kaddr

  /// What a call is: a value; a statement, which prints or acts and has no value; or an
  /// aggregation, which only a map can be assigned.
  public enum Role: Sendable { case value, statement, aggregation }

  public var role: Role {
    switch self {
    case .count, .sum, .min, .max, .avg, .stats, .hist, .lhist, .tseries: return .aggregation
    case .printf, .exit, .print, .clear, .zero, .time, .join, .cat, .system, .signal, .override, .debugf, .unwatch,
      .errorf, .warnf, .signal_thread, .fail, .static_assert:
      return .statement
    case .str, .strncmp, .strcontains, .sizeof, .strftime, .ksym, .usym, .kaddr, .ntop, .bswap, .strerror, .kstack,
      .ustack, .buf, .reg, .cgroupid, .macaddr, .kptr, .uptr, .pton, .uaddr, .path, .cgroup_path, .skboutput, .is_err, .has_key,
      .delete, .strlen, .syscall_name, .getopt, .signal_name, .len, .strstr, .str_concat, .strcap, .find, .memcmp, .write_user, .socket_cookie, .comm, .percpu_kaddr:
      return .value
    }
  }

  public var isAggregation: Bool { role == .aggregation }

  /// The aggregation this function is, for code that handles only those.
  public var aggregation: Aggregation? {
    switch self {
    case .count: return .count
    case .sum: return .sum
    case .min: return .min
    case .max: return .max
    case .avg: return .avg
    case .stats: return .stats
    case .hist: return .hist
    case .lhist: return .lhist
    case .tseries: return .tseries
    case .printf, .exit, .str, .strncmp, .strcontains, .sizeof, .print, .clear, .zero, .delete, .time, .strftime,
      .ksym, .usym, .kaddr, .ntop, .bswap, .strerror, .kstack, .ustack, .join, .buf, .cat, .system, .reg, .cgroupid,
      .macaddr, .signal, .override, .kptr, .uptr, .pton, .uaddr, .path, .debugf, .cgroup_path, .unwatch, .skboutput,
      .is_err, .has_key, .strlen, .syscall_name, .getopt, .errorf, .warnf, .signal_name, .signal_thread, .len, .strstr, .str_concat, .strcap, .find, .memcmp, .write_user, .fail, .static_assert, .socket_cookie, .comm, .percpu_kaddr:
      return nil
    }
  }

  /// The error for a statement where a value is wanted.
  public var notAValueMessage: String {
    switch self {
    case .time: return "time() prints and produces no value; use strftime() for a value"
    case .join: return "join() prints and produces no value"
    case .printf, .exit, .str, .strncmp, .strcontains, .sizeof, .count, .sum, .min, .max, .avg, .stats, .hist,
      .lhist, .tseries, .print, .clear, .zero, .delete, .strftime, .ksym, .usym, .kaddr, .ntop, .bswap, .strerror, .kstack,
      .ustack, .buf, .cat, .system, .reg, .cgroupid, .macaddr, .signal, .override, .kptr, .uptr, .pton, .uaddr,
      .path, .debugf, .cgroup_path, .unwatch, .skboutput, .is_err, .has_key, .strlen, .syscall_name, .getopt, .errorf, .warnf, .signal_name, .signal_thread, .len, .strstr, .str_concat, .strcap, .find, .memcmp, .write_user, .fail, .static_assert, .socket_cookie, .comm, .percpu_kaddr:
      return "\(rawValue)() produces no value"
    }
  }

  /// How the checker checks a call: by the general rule for typed arguments, declared here, or
  /// by a check of its own in the checker (formats, maps, literals resolved when compiling,
  /// probe kinds). A function whose arguments are plain values takes `.typed`, so that adding it
  /// means this declaration and its lowering.
  public var rule: CallRule {
    switch self {
    case .ksym: return .typed([.integer], returns: .symbol(.kernelSymbol))
    case .strerror: return .typed([.integer], returns: .symbol(.errorName))
    case .cgroup_path: return .typed([.integer], returns: .symbol(.cgroupPath))
    case .is_err: return .typed([.integer], returns: .bool)
    case .strlen: return .typed([.string], returns: .uint64)
    case .syscall_name: return .typed([.integer], returns: .symbol(.syscallName))
    case .getopt: return .own(.getopt)
    case .count, .sum, .min, .max, .avg, .stats, .hist, .lhist, .tseries: return .own(.aggregation)
    case .printf, .errorf, .warnf: return .own(.printf)
    case .cat: return .own(.cat)
    case .system: return .own(.system)
    case .debugf: return .own(.debugf)
    case .unwatch: return .own(.unwatch)
    case .signal, .signal_thread: return .own(.signal)
    case .signal_name: return .typed([.integer], returns: .symbol(.signalName))
    case .override: return .own(.override)
    case .exit: return .own(.exit)
    case .print: return .own(.print)
    case .clear: return .own(.clear)
    case .zero: return .own(.zero)
    case .delete: return .own(.delete)
    case .time: return .own(.time)
    case .join: return .own(.join)
    case .strftime: return .own(.strftime)
    case .usym: return .own(.usym)
    case .kaddr: return .own(.kaddr)
    case .reg: return .own(.reg)
    case .cgroupid: return .own(.cgroupid)
    case .macaddr: return .own(.macaddr)
    case .uaddr: return .own(.uaddr)
    case .pton: return .own(.pton)
    case .ntop: return .own(.ntop)
    case .bswap: return .own(.bswap)
    case .kstack: return .own(.kstack)
    case .ustack: return .own(.ustack)
    case .str: return .own(.str)
    case .buf: return .own(.buf)
    case .kptr: return .own(.kptr)
    case .uptr: return .own(.uptr)
    case .path: return .own(.path)
    case .sizeof: return .own(.sizeof)
    case .strcontains: return .own(.strcontains)
    case .strncmp: return .own(.strncmp)
    case .skboutput: return .own(.skboutput)
    case .has_key: return .own(.hasKey)
    case .len: return .own(.len)
    case .strstr: return .typed([.string, .string], returns: .int64)
    case .str_concat: return .own(.strConcat)
    case .strcap: return .own(.strcap)
    case .find: return .own(.find)
    case .memcmp: return .own(.memcmp)
    case .write_user: return .own(.writeUser)
    case .fail: return .own(.fail)
    case .socket_cookie: return .typed([.integer], returns: .uint64)
    case .comm: return .own(.commOfPid)
    case .percpu_kaddr: return .own(.percpuKaddr)
    case .static_assert: return .own(.staticAssert)
    }
  }

  /// The probes it works in (the kernel offers its helper to some program types only).
  public var placement: Placement {
    switch self {
    case .path:
      return .only([.kfunc, .kretfunc], why: "path() works only in kfunc and kretfunc probes (the kernel's bpf_d_path)")
    case .skboutput:
      return .only([.kfunc, .kretfunc, .rawtracepoint],
                   why: "skboutput() works in kfunc, kretfunc and rawtracepoint probes (the kernel's bpf_skb_output)")
    case .uaddr:
      return .only([.uprobe, .usdt], why: "uaddr() finds symbols of the probed binary: use it in uprobe or usdt probes")
    case .override: return .only([.kprobe], why: "override() only works in kprobe probes")
    case .signal, .signal_thread: return .notIn([.begin, .end], why: "would signal swiftrace itself")
    case .write_user: return .notIn([.begin, .end], why: "would write swiftrace's own memory")
    case .fail, .static_assert: return .anywhere
    case .socket_cookie:
      return .only([.kfunc, .kretfunc, .rawtracepoint, .iter],
                   why: "socket_cookie() works in kfunc, kretfunc, rawtracepoint and iter probes (BTF-typed socket pointers)")
    case .comm:
      return .only([.kfunc, .kretfunc, .rawtracepoint, .iter],
                   why: "comm(pid) works in kfunc, kretfunc, rawtracepoint and iter probes (the kernel offers its bpf_task_from_pid to tracing programs only)")
    case .percpu_kaddr: return .anywhere
    case .printf, .exit, .str, .strncmp, .strcontains, .sizeof, .count, .sum, .min, .max, .avg, .stats, .hist, .lhist,
      .tseries, .print, .clear, .zero, .delete, .time, .strftime, .ksym, .usym, .kaddr, .ntop, .bswap, .strerror, .kstack, .ustack,
      .join, .buf, .cat, .system, .reg, .cgroupid, .macaddr, .kptr, .uptr, .pton, .debugf, .cgroup_path, .unwatch,
      .is_err, .has_key, .strlen, .syscall_name, .getopt, .errorf, .warnf, .signal_name, .len, .strstr, .str_concat, .strcap, .find, .memcmp:
      return .anywhere
    }
  }

  /// Why it is refused without `--unsafe`; nil for a function that is always allowed.
  public var unsafeReason: String? {
    switch self {
    case .system: return "runs commands"
    case .signal, .signal_thread, .override: return "changes what the traced program does"
    case .write_user: return "writes the traced program's memory"
    case .fail, .static_assert, .socket_cookie, .comm, .percpu_kaddr: return nil
    case .printf, .exit, .str, .strncmp, .strcontains, .sizeof, .count, .sum, .min, .max, .avg, .stats, .hist, .lhist,
      .tseries, .print, .clear, .zero, .delete, .time, .strftime, .ksym, .usym, .kaddr, .ntop, .bswap, .strerror, .kstack, .ustack,
      .join, .buf, .cat, .reg, .cgroupid, .macaddr, .kptr, .uptr, .pton, .uaddr, .path, .debugf, .cgroup_path, .unwatch,
      .skboutput, .is_err, .has_key, .strlen, .syscall_name, .getopt, .errorf, .warnf, .signal_name, .len, .strstr, .str_concat, .strcap, .find, .memcmp:
      return nil
    }
  }

  /// The function reference of Docs/Language.md, made from these declarations.
  public static var referenceTable: String {
    let rows = allCases.map { f -> String in
      let kind: String
      switch f.role {
      case .value: kind = "value"
      case .statement: kind = "statement"
      case .aggregation: kind = "aggregation"
      }
      return "| `\(f.signature.replacingPipes)` | \(kind) | \(f.summary) |"
    }
    return (["| Function | Kind | What it does |", "|---|---|---|"] + rows).joined(separator: "\n") + "\n"
  }

  /// One line for the reference table in Docs/Language.md (kept in step by a test).
  public var summary: String {
    switch self {
    case .printf: return "prints a formatted line"
    case .exit: return "stops the trace (END runs, maps print); swiftrace exits with the status"
    case .str: return "a NUL-terminated string read from a pointer"
    case .strncmp: return "0 when the first length bytes are equal, 1 otherwise"
    case .strcontains: return "1 when the haystack contains the needle"
    case .sizeof: return "the size in bytes of a type or an expression"
    case .count: return "counts calls"
    case .sum: return "sums values"
    case .min: return "the smallest value"
    case .max: return "the largest value"
    case .avg: return "the average value"
    case .stats: return "count, average and total"
    case .hist: return "a power-of-two histogram"
    case .lhist: return "a linear histogram"
    case .tseries: return "the last count intervals' values (the last written, or their avg, max, min or sum)"
    case .print: return "prints a map (its top entries, divided) or a value"
    case .clear: return "deletes every key of a map"
    case .zero: return "sets every value of a map to zero"
    case .delete: return "deletes one key of a map: true if it was there, false if not"
    case .time: return "prints the current time"
    case .strftime: return "a time formatted when printed"
    case .ksym: return "the kernel symbol at an address"
    case .usym: return "the user symbol at an address"
    case .kaddr: return "the address of a kernel symbol"
    case .ntop: return "an IPv4 or IPv6 address as text"
    case .bswap: return "the integer with its bytes reversed"
    case .strerror: return "the text of an errno value"
    case .kstack: return "the kernel stack"
    case .ustack: return "the user stack"
    case .join: return "prints an array of strings joined"
    case .buf: return "bytes printed as hex escapes (%r)"
    case .cat: return "prints a file"
    case .system: return "runs a shell command (--unsafe)"
    case .reg: return "a register of the probe context"
    case .cgroupid: return "the id of a cgroup directory"
    case .macaddr: return "a MAC address as text"
    case .signal: return "sends a signal to the current process (--unsafe)"
    case .signal_thread: return "sends a signal to the current thread (--unsafe)"
    case .signal_name: return "the description of a signal number, as strsignal(3) gives it"
    case .len: return "the number of entries of a map with keys, or the frames of kstack or ustack"
    case .strstr: return "the index of the needle's first occurrence in the haystack, -1 if none"
    case .str_concat: return "the two strings joined"
    case .strcap: return "a string's or array's capacity in bytes (its size, NUL included)"
    case .find: return "true when the map has the key, whose value it then stores in the variable"
    case .memcmp: return "0 when the first count bytes are equal, else the first difference (a byte of the left minus the right's)"
    case .override: return "makes the probed kernel function return this (--unsafe, kprobes)"
    case .comm: return "the name of the task with this pid, \"N/A\" when there is none (comm alone: the current task's)"
    case .percpu_kaddr: return "the address of a per-CPU kernel variable on this CPU, or on the given one (0 past the last)"
    case .socket_cookie: return "the kernel's cookie of a socket (struct sock *), unique while the system runs; 0 for none"
    case .fail: return "stops compiling with this error where reached (code an if on a constant leaves out is not)"
    case .static_assert: return "stops compiling with the message unless the condition, known when compiling, holds"
    case .write_user: return "writes length bytes of a value into the current process's memory: true if written (--unsafe)"
    case .kptr: return "marks an address as kernel memory"
    case .uptr: return "marks an address as user memory"
    case .pton: return "an IP address as bytes"
    case .uaddr: return "the address of a user symbol"
    case .path: return "the path of a struct path"
    case .debugf: return "writes to the kernel trace buffer (bpf_trace_printk)"
    case .cgroup_path: return "the path of a cgroup id"
    case .unwatch: return "removes the watchpoint on an address"
    case .skboutput: return "writes a packet to a PCAP file"
    case .is_err: return "true when a kernel pointer encodes an error (ERR_PTR), false otherwise"
    case .has_key: return "true when the map has the key, false otherwise"
    case .strlen: return "the length of a string, up to its NUL"
    case .syscall_name: return "the name of a system call number"
    case .getopt: return "a program option given after -- (--name=value), or its default"
    case .errorf: return "prints a formatted error, located at the call, on stderr"
    case .warnf: return "prints a formatted warning, located at the call, on stderr"
    }
  }

  /// What a user reads in an arity error.
  public var signature: String {
    switch self {
    case .printf: return "printf(format, ...)"
    case .debugf: return "debugf(format, up to 3 arguments)"
    case .cgroup_path: return "cgroup_path(cgroup id)"
    case .is_err: return "is_err(pointer)"
    case .has_key: return "has_key(@map, key or (key, key, ...))"
    case .strlen: return "strlen(string)"
    case .syscall_name: return "syscall_name(number)"
    case .getopt: return "getopt(\"name\" [, default [, \"description\"]])"
    case .errorf: return "errorf(format, ...)"
    case .warnf: return "warnf(format, ...)"
    case .unwatch: return "unwatch(address)"
    case .skboutput: return "skboutput(\"file.pcap\", skb, length, offset)"
    case .exit: return "exit([status])"
    case .str: return "str(pointer [, length])"
    case .strncmp: return "strncmp(string, string, length)"
    case .strcontains: return "strcontains(haystack, needle)"
    case .sizeof: return "sizeof(type or expression)"
    case .count: return "count()"
    case .sum, .min, .max, .avg, .stats: return "\(rawValue)(integer)"
    case .hist: return "hist(integer [, k])"
    case .lhist: return "lhist(integer, min, max, step)"
    case .tseries: return "tseries(integer, interval, count [, \"avg\"|\"max\"|\"min\"|\"sum\"])"
    case .print: return "print(@map [, top [, divisor]]) or print(value)"
    case .clear: return "clear(@map)"
    case .zero: return "zero(@map)"
    case .delete: return "delete(@map[key])"
    case .time: return "time([format])"
    case .pton: return "pton(\"address\")"
    case .uaddr: return "uaddr(\"symbol\")"
    case .path: return "path(struct path * [, size])"
    case .kptr: return "kptr(pointer)"
    case .uptr: return "uptr(pointer)"
    case .signal: return "signal(\"SIGNAME\" or number)"
    case .signal_thread: return "signal_thread(\"SIGNAME\" or number)"
    case .signal_name: return "signal_name(number)"
    case .len: return "len(@map or kstack or ustack)"
    case .strstr: return "strstr(haystack, needle)"
    case .str_concat: return "str_concat(string, string)"
    case .strcap: return "strcap(string or array)"
    case .find: return "find(@map, key, $variable)"
    case .memcmp: return "memcmp(left, right, count)"
    case .override: return "override(return value)"
    case .write_user: return "write_user(user address, value, length)"
    case .fail: return "fail(format, literal arguments...)"
    case .socket_cookie: return "socket_cookie(struct sock *)"
    case .comm: return "comm(pid)"
    case .percpu_kaddr: return "percpu_kaddr(\"name\" [, cpu])"
    case .static_assert: return "static_assert(condition, message)"
    case .reg: return "reg(\"name\")"
    case .cgroupid: return "cgroupid(\"/sys/fs/cgroup/...\")"
    case .macaddr: return "macaddr(pointer or 6 bytes)"
    case .cat: return "cat(format, ...)"
    case .system: return "system(format, ...)"
    case .buf: return "buf(pointer or string [, length])"
    case .join: return "join(array of strings [, separator])"
    case .strftime: return "strftime(format, nsecs)"
    case .ksym: return "ksym(address)"
    case .usym: return "usym(address)"
    case .kaddr: return "kaddr(\"symbol\")"
    case .ntop: return "ntop([family,] address)"
    case .bswap: return "bswap(integer)"
    case .strerror: return "strerror(errno)"
    case .kstack: return "kstack([mode,] [limit])"
    case .ustack: return "ustack([mode,] [limit])"
    }
  }
}

extension String {
  /// A table cell's text with its `|` escaped.
  fileprivate var replacingPipes: String { split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
}

/// How the checker checks a call to a function (`Function.rule`).
public enum CallRule: Sendable {
  /// Exactly these arguments, each checked for its kind; the call's value has this type.
  case typed([ArgumentKind], returns: SType)
  /// A check of its own in the checker (`checkCall` switches over these).
  case own(OwnCheck)
}

/// The functions the checker checks with code of their own, on their own so that the checker's
/// switches list only these: a function with a `.typed` rule appears in none of them.
public enum OwnCheck: Sendable {
  case printf, cat, system, debugf, unwatch, signal, override, exit
  case print, clear, zero, delete
  case time, join, strftime, usym, kaddr, reg, cgroupid, macaddr, uaddr, pton, ntop, bswap, kstack, ustack
  case str, buf, kptr, uptr, path, sizeof, strcontains, strncmp, skboutput
  case hasKey, getopt, len, strConcat, strcap, find, memcmp, writeUser
  case fail, staticAssert, commOfPid, percpuKaddr
  /// count, sum, min, max, avg, stats, hist, lhist: refused where they are not assigned to a map.
  case aggregation
}

/// What a typed argument may be.
public enum ArgumentKind: Sendable {
  /// An integer, or what converts to one (a pointer, a boolean condition).
  case integer
  /// A string (a literal, `str()`, `comm`, ...).
  case string

  public func accepts(_ type: SType) -> Bool {
    switch self {
    case .integer: return type.isIntegerLike
    case .string: return type.isString
    }
  }

  /// The words of an error: "expects an integer".
  public var description: String {
    switch self {
    case .integer: return "an integer"
    case .string: return "a string"
    }
  }
}

/// The functions only a map can be assigned (`@x = count()`), on their own so that code which
/// handles aggregations switches over these alone. `Function.aggregation` maps to them.
public enum Aggregation: Sendable {
  case count, sum, min, max, avg, stats, hist, lhist, tseries
}

/// Where a function or builtin may be used, by the provider of the probe it is in.
public enum Placement: Sendable {
  case anywhere
  /// Only in probes of these providers; the error is WHY, then "not in PROBE".
  case only(Set<Provider>, why: String)
  /// Not in probes of these providers; the error is "NAME() in PROBE WHY".
  case notIn(Set<Provider>, why: String)
}
