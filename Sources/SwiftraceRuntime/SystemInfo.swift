import CLibBPF
import FoundationEssentials
import Glibc
import SwiftraceBPF

/// `--info`: what this kernel and build offer, checked the way the session would use it.
public enum SystemInfo {
  public static func report(version: String) -> String {
    var u = utsname()
    uname(&u)
    func field<T>(_ value: T) -> String {
      withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
    func yes(_ b: Bool) -> String { b ? "yes" : "no" }
    let btf = KernelBTF()
    var lines: [String] = []
    lines.append("System")
    lines.append("  OS: \(field(u.sysname)) \(field(u.release)) \(field(u.version))")
    lines.append("  Arch: \(field(u.machine))")
    lines.append("  CPUs online: \(Features.onlineCPUs.count)")
    lines.append("")
    lines.append("Build")
    lines.append("  swiftrace: v\(version)")
    lines.append("  libbpf: v\(libbpf_major_version()).\(libbpf_minor_version())")
    lines.append("  LLVM: 14 (in process, BPF target)")
    lines.append("")
    lines.append("Kernel features")
    lines.append("  BTF (/sys/kernel/btf/vmlinux): \(yes(btf.isAvailable))")
    lines.append("  tracefs: \(yes(TracefsCatalogAvailability.isAvailable))")
    lines.append("  kprobes: \(yes(Features.hasKprobes))")
    lines.append("  uprobes: \(yes(access("/sys/bus/event_source/devices/uprobe", F_OK) == 0))")
    lines.append("  ring buffer maps: \(yes(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nil) == 1))")
    lines.append("  raw tracepoints with BTF (tp_btf): \(yes(btf.isAvailable))")
    lines.append("  hardware counters: \(yes(access("/sys/bus/event_source/devices/cpu", F_OK) == 0))")
    lines.append("")
    lines.append("Probe types")
    lines.append("  BEGIN, END, tracepoint, rawtracepoint, kprobe, kretprobe, uprobe, uretprobe, interval, profile, software, hardware")
    return lines.joined(separator: "\n") + "\n"
  }
}

enum TracefsCatalogAvailability {
  static var isAvailable: Bool { access("/sys/kernel/tracing/events", F_OK) == 0 || access("/sys/kernel/debug/tracing/events", F_OK) == 0 }
}
