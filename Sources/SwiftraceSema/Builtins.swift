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

  public var type: SType {
    switch self {
    case .comm: return .string(size: 16)
    case .probe: return .probe
    case .args: return .tracepointArgs
    case .curtask: return .uint64  // the checker gives it its struct type from BTF
    case .func: return .symbol(.kernelSymbol)  // the checker picks user symbols in uprobes
    case .kstack: return .symbol(.kernelStack(StackFormat()))
    case .ustack: return .symbol(.userStack(StackFormat()))
    case .username: return .symbol(.username)
    default: return .uint64
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
    default: return nil
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
    default: return nil
    }
  }
}

/// Functions a script can call.
public enum Function: String, CaseIterable, Sendable {
  case printf, exit, str, strncmp, strcontains, sizeof
  case count, sum, min, max, avg, stats, hist, lhist
  case print, clear, zero, delete
  case time, strftime, ksym, usym, kaddr, ntop, bswap, strerror, kstack, ustack, join
  case buf, cat, system, reg, cgroupid, macaddr, signal, override, kptr, uptr, pton, uaddr, path
  case debugf, cgroup_path, unwatch, skboutput

  public var isAggregation: Bool {
    switch self {
    case .count, .sum, .min, .max, .avg, .stats, .hist, .lhist: return true
    default: return false
    }
  }

  /// What a user reads in an arity error.
  public var signature: String {
    switch self {
    case .printf: return "printf(format, ...)"
    case .debugf: return "debugf(format, up to 3 arguments)"
    case .cgroup_path: return "cgroup_path(cgroup id)"
    case .unwatch: return "unwatch(address)"
    case .skboutput: return "skboutput(\"file.pcap\", skb, length, offset)"
    case .exit: return "exit()"
    case .str: return "str(pointer [, length])"
    case .strncmp: return "strncmp(string, string, length)"
    case .strcontains: return "strcontains(haystack, needle)"
    case .sizeof: return "sizeof(type or expression)"
    case .count: return "count()"
    case .sum, .min, .max, .avg, .stats, .hist: return "\(rawValue)(integer)"
    case .lhist: return "lhist(integer, min, max, step)"
    case .print: return "print(@map [, top [, divisor]]) or print(value)"
    case .clear: return "clear(@map)"
    case .zero: return "zero(@map)"
    case .delete: return "delete(@map[key])"
    case .time: return "time([format])"
    case .pton: return "pton(\"address\")"
    case .uaddr: return "uaddr(\"symbol\")"
    case .path: return "path(struct path *)"
    case .kptr: return "kptr(pointer)"
    case .uptr: return "uptr(pointer)"
    case .signal: return "signal(\"SIGNAME\" or number)"
    case .override: return "override(return value)"
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
