import CLibBPF
import Glibc

/// Reads records from a BPF ring buffer map and hands each to `handler`.
public final class RingBufferReader {
  private var ring: OpaquePointer?
  private let handler: (UnsafeRawBufferPointer) -> Void
  /// Records handled in the current `consume(upTo:)`, and where it stops.
  private var handled = 0
  private var limit = Int.max

  public init(map: BPFMap, handler: @escaping (UnsafeRawBufferPointer) -> Void) throws(BPFError) {
    self.handler = handler
    let context = Unmanaged.passUnretained(self).toOpaque()
    ring = ring_buffer__new(map.fd, { context, data, size in
      guard let context, let data else { return 0 }
      let reader = Unmanaged<RingBufferReader>.fromOpaque(context).takeUnretainedValue()
      reader.handler(UnsafeRawBufferPointer(start: data, count: Int(size)))
      reader.handled += 1
      // A negative return makes libbpf keep this record consumed and return at once.
      return reader.handled >= reader.limit ? -1 : 0
    }, context, nil)
    if ring == nil { throw .system(what: "cannot set up the ring buffer", errno: errno) }
  }

  deinit { if let ring { ring_buffer__free(ring) } }

  /// A descriptor that becomes readable when records arrive, for poll(2).
  public var epollFD: Int32 { ring_buffer__epoll_fd(ring) }

  /// Handles every record available now, without waiting. Only for when producers have stopped
  /// (or are about to): while they keep up with the handler, libbpf's loop never finds the ring
  /// empty and this never returns.
  public func consume() { _ = consume(upTo: Int.max) }

  /// Handles at most `limit` of the records available now, so that a caller that also watches
  /// signals and deadlines gets control back however fast records arrive. True when it stopped at
  /// the limit (more may be waiting).
  public func consume(upTo limit: Int) -> Bool {
    handled = 0
    self.limit = limit
    defer { self.limit = Int.max }
    _ = ring_buffer__consume(ring)
    return handled >= limit
  }
}
