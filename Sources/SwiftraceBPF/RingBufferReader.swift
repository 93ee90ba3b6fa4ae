import CLibBPF
import Glibc

/// Reads records from a BPF ring buffer map and hands each to `handler`.
public final class RingBufferReader {
  private var ring: OpaquePointer?
  private let handler: (UnsafeRawBufferPointer) -> Void

  public init(map: BPFMap, handler: @escaping (UnsafeRawBufferPointer) -> Void) throws(BPFError) {
    self.handler = handler
    let context = Unmanaged.passUnretained(self).toOpaque()
    ring = ring_buffer__new(map.fd, { context, data, size in
      guard let context, let data else { return 0 }
      let reader = Unmanaged<RingBufferReader>.fromOpaque(context).takeUnretainedValue()
      reader.handler(UnsafeRawBufferPointer(start: data, count: Int(size)))
      return 0
    }, context, nil)
    if ring == nil { throw .system(what: "cannot set up the ring buffer", errno: errno) }
  }

  deinit { if let ring { ring_buffer__free(ring) } }

  /// A descriptor that becomes readable when records arrive, for poll(2).
  public var epollFD: Int32 { ring_buffer__epoll_fd(ring) }

  /// Handles every record available now, without waiting.
  @discardableResult
  public func consume() -> Int32 { ring_buffer__consume(ring) }
}
