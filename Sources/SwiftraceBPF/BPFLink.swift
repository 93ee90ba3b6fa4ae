import CLibBPF
import CSyscalls
import Glibc

/// One attachment of a program; detached when closed or released. The kernel also detaches it if
/// the process dies, since it is held by a file descriptor.
public final class BPFLink {
  private var link: OpaquePointer?

  init(_ link: OpaquePointer) { self.link = link }

  deinit { close() }

  public func close() {
    if let link { bpf_link__destroy(link) }
    link = nil
  }

  public var fd: Int32 { link.map { bpf_link__fd($0) } ?? -1 }

  /// Pins the link to a file in a BPF filesystem, where it stays after this process exits.
  /// Returns 0, or a negative error code.
  public func pin(_ path: String) -> Int32 {
    guard let link else { return -EBADF }
    return bpf_link__pin(link, path)
  }

  /// Leaves the attachment to whoever else holds its descriptor (see `releaseAfterExit`); this
  /// process's copy closes when it exits.
  public func abandon() { link = nil }

  /// Hands every descriptor to a child that closes them once this process has exited: the slow
  /// detach happens after the user has the output and the prompt. False if no child could start.
  public static func releaseAfterExit() -> Bool { swr_release_descriptors_after_exit() > 0 }
}

extension BPFProgram {
  /// COOKIE is what bpf_get_attach_cookie gives the program when it runs for this attachment.
  public func attachTracepoint(category: String, event: String, cookie: UInt64, probe: String) throws(BPFError) -> BPFLink {
    var opts = bpf_tracepoint_opts()
    opts.sz = MemoryLayout<bpf_tracepoint_opts>.stride
    opts.bpf_cookie = cookie
    guard let link = bpf_program__attach_tracepoint_opts(pointer, category, event, &opts) else {
      throw .attach(probe: probe, errno: errno, reason: "the kernel refused the tracepoint", hint: nil)
    }
    return BPFLink(link)
  }

  /// Attaches where the section name says (tp_btf/EVENT).
  public func attachBySection(probe: String) throws(BPFError) -> BPFLink {
    guard let link = bpf_program__attach(pointer) else {
      throw .attach(probe: probe, errno: errno, reason: "the kernel refused the attachment", hint: nil)
    }
    return BPFLink(link)
  }

  public func attachKprobe(function: String, isReturn: Bool, probe: String) throws(BPFError) -> BPFLink {
    guard let link = bpf_program__attach_kprobe(pointer, isReturn, function) else {
      let e = errno
      if !Features.hasKprobes {
        throw .notSupported(
          probe: probe, feature: "this kernel has no kprobe support (CONFIG_KPROBES is not set)",
          hint: "use a tracepoint instead (see /sys/kernel/tracing/events), or --dry-run to compile and verify only")
      }
      throw .attach(probe: probe, errno: e, reason: "the kernel refused the kprobe",
                    hint: "check that '\(function)' exists in /proc/kallsyms and is not inlined")
    }
    return BPFLink(link)
  }

  /// `function` is a symbol name, `name+offset`, or a file offset given as `fileOffset`.
  /// `referenceCounter` is a USDT semaphore's file offset: the kernel raises it while attached.
  public func attachUprobe(binary: String, function: String?, offset: UInt64 = 0, isReturn: Bool,
                           referenceCounter: UInt64 = 0, pid: Int32 = -1, cookie: UInt64 = 0,
                           probe: String) throws(BPFError) -> BPFLink {
    var opts = bpf_uprobe_opts()
    opts.sz = MemoryLayout<bpf_uprobe_opts>.stride
    opts.retprobe = isReturn
    opts.bpf_cookie = cookie
    opts.ref_ctr_offset = Int(referenceCounter)
    let name = function.map { strdup($0) } ?? nil
    defer { free(name) }
    opts.func_name = UnsafePointer(name)
    guard let link = bpf_program__attach_uprobe_opts(pointer, pid, binary, Int(offset), &opts) else {
      let e = errno
      let hint = access(binary, F_OK) != 0 ? "'\(binary)' does not exist" :
        function.map { "check that '\(binary)' has a symbol named '\($0)' (nm -D \(binary))" }
        ?? "check that the address lies in an executable segment of '\(binary)'"
      throw .attach(probe: probe, errno: e, reason: "cannot place the uprobe", hint: hint)
    }
    return BPFLink(link)
  }

  /// A hardware breakpoint on `length` bytes at `address` in process `pid`: HW_BREAKPOINT_R (1),
  /// W (2), RW (3) or X (4). Fires on every access.
  public func attachWatchpoint(pid: Int32, address: UInt64, length: Int, type: UInt32, probe: String) throws(BPFError) -> BPFLink {
    var attr = perf_event_attr()
    attr.type = PERF_TYPE_BREAKPOINT.rawValue
    attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
    attr.bp_type = type
    attr.bp_addr = address
    attr.bp_len = UInt64(length)
    attr.sample_period = 1
    let pfd = swr_perf_event_open(&attr, pid, -1, -1, UInt(PERF_FLAG_FD_CLOEXEC))
    guard pfd >= 0 else {
      let e = errno
      if e == ENOENT || e == ENODEV || e == EOPNOTSUPP {
        throw .notSupported(probe: probe, feature: "this machine offers no hardware breakpoints (\(errorString(e)))",
                            hint: "watchpoints need debug registers, which some virtual machines hide")
      }
      throw .attach(probe: probe, errno: e, reason: "cannot place the watchpoint", hint: "the address must be aligned to the length, in a mapped page")
    }
    guard let link = bpf_program__attach_perf_event(pointer, pfd) else {
      let e = errno
      Glibc.close(pfd)
      throw .attach(probe: probe, errno: e, reason: "cannot attach to the watchpoint", hint: nil)
    }
    return BPFLink(link)
  }

  /// A perf counter on one CPU (the software CPU clock unless told otherwise), sampled every
  /// `period` events (ns for clocks) or `frequency` times a second.
  public func attachPerfEvent(cpu: Int32, period: UInt64?, frequency: UInt64?, hardware: Bool = false,
                              config: UInt64? = nil, probe: String) throws(BPFError) -> BPFLink {
    var attr = perf_event_attr()
    attr.type = hardware ? PERF_TYPE_HARDWARE.rawValue : PERF_TYPE_SOFTWARE.rawValue
    attr.size = UInt32(MemoryLayout<perf_event_attr>.size)
    attr.config = config ?? UInt64(PERF_COUNT_SW_CPU_CLOCK.rawValue)
    if let frequency {
      attr.freq = 1
      attr.sample_freq = frequency
    } else {
      attr.sample_period = period ?? 1_000_000_000
    }
    let pfd = swr_perf_event_open(&attr, -1, cpu, -1, UInt(PERF_FLAG_FD_CLOEXEC))
    guard pfd >= 0 else {
      let e = errno
      if hardware && (e == ENOENT || e == EOPNOTSUPP || e == ENODEV) {
        throw .notSupported(probe: probe, feature: "this machine has no hardware performance counters (a virtual machine without a PMU)",
                           hint: "use a software event (software:cpu-clock, software:page-faults, ...) or profile:hz:99")
      }
      throw .attach(probe: probe, errno: e, reason: "cannot open a perf event on CPU \(cpu)", hint: nil)
    }
    guard let link = bpf_program__attach_perf_event(pointer, pfd) else {
      let e = errno
      Glibc.close(pfd)
      throw .attach(probe: probe, errno: e, reason: "cannot attach to the perf event", hint: nil)
    }
    return BPFLink(link)
  }
}

/// What this kernel offers, checked where the kernel exposes it.
public enum Features {
  /// The kprobe PMU appears in sysfs only with CONFIG_KPROBES.
  public static var hasKprobes: Bool {
    access("/sys/bus/event_source/devices/kprobe", F_OK) == 0
  }

  /// The CPUs that are online now, from /sys/devices/system/cpu/online ("0-1,4").
  public static var onlineCPUs: [Int32] {
    guard let f = fopen("/sys/devices/system/cpu/online", "r") else { return [0] }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 256)
    guard fgets(&line, 256, f) != nil else { return [0] }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var cpus: [Int32] = []
    for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
      let bounds = part.split(separator: "-").compactMap { Int32($0) }
      if bounds.count == 2 { cpus += Array(bounds[0]...bounds[1]) } else if let one = bounds.first { cpus.append(one) }
    }
    return cpus.isEmpty ? [0] : cpus
  }
}
