import CLibBPF
import CSyscalls
import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceSema

/// Running an `iter:` probe: reading the iterator runs its program over every object, and what
/// the program's printf wrote (bpf_seq_printf) is what the read returns. A pinned iterator is left
/// in the BPF filesystem for others to read instead.
extension Session {
  func runIterator(_ probe: RunPlan.Probe, link: BPFLink) throws(BPFError) {
    guard case .iterator(_, let pin) = probe.kind else { return }
    if let pin {
      let path = pin.hasPrefix("/") ? pin : Self.bpfFilesystem + "/" + pin
      if path.hasPrefix(Self.bpfFilesystem + "/") { Self.mountBPFFilesystemIfNeeded() }
      let rc = link.pin(path)
      guard rc == 0 else {
        throw .system(what: "cannot pin \(probe.name) to \(path) (pins live in a BPF filesystem, such as \(Self.bpfFilesystem))",
                      errno: -rc)
      }
      out.printf("Program pinned to \(path)\n")  // bpftrace's words
      out.flush()
      return
    }
    let fd = bpf_iter_create(link.fd)
    guard fd >= 0 else {
      throw .attach(probe: probe.name, errno: errno, reason: "cannot open the iterator for reading", hint: nil)
    }
    defer { Glibc.close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var partialLine: [UInt8] = []
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      // Whole lines at a time, so that JSON gets one printf record per line.
      partialLine += buffer[0..<n]
      if let end = partialLine.lastIndex(of: UInt8(ascii: "\n")) {
        out.printf(String(rawBytes: partialLine[...end]))
        partialLine.removeSubrange(...end)
      }
      out.endOfBatch()
    }
    if !partialLine.isEmpty { out.printf(String(rawBytes: partialLine)) }
  }

  static let bpfFilesystem = "/sys/fs/bpf"

  /// Pins need a BPF filesystem; /sys/fs/bpf is where systemd mounts one, and where a bare pin
  /// name goes. Mounted here when it is missing, as tracefs is.
  static func mountBPFFilesystemIfNeeded() {
    if swr_is_bpf_filesystem(bpfFilesystem) == 0 { _ = mount("bpf", bpfFilesystem, "bpf", 0, nil) }
  }
}
