import CLibBPF
import Glibc

/// Reads a perf event array's per-CPU buffers (what bpf_skb_output writes to; the ring buffer
/// carries everything else) and hands each record to `handler`; counts what the kernel dropped.
public final class PerfBufferReader {
  private var buffer: OpaquePointer?
  private let handler: (UnsafeRawBufferPointer) -> Void
  /// Records the kernel dropped because a CPU's buffer was full.
  public private(set) var lost: UInt64 = 0

  public init(map: BPFMap, pagesPerCPU: Int, handler: @escaping (UnsafeRawBufferPointer) -> Void) throws(BPFError) {
    self.handler = handler
    let context = Unmanaged.passUnretained(self).toOpaque()
    buffer = perf_buffer__new(map.fd, pagesPerCPU, { context, _, data, size in
      guard let context, let data else { return }
      let reader = Unmanaged<PerfBufferReader>.fromOpaque(context).takeUnretainedValue()
      reader.handler(UnsafeRawBufferPointer(start: data, count: Int(size)))
    }, { context, _, count in
      guard let context else { return }
      Unmanaged<PerfBufferReader>.fromOpaque(context).takeUnretainedValue().lost += count
    }, context, nil)
    if buffer == nil { throw .system(what: "cannot set up the perf buffer", errno: errno) }
  }

  deinit { if let buffer { perf_buffer__free(buffer) } }

  /// Handles every record available now, without waiting.
  public func consume() { _ = perf_buffer__consume(buffer) }
}
