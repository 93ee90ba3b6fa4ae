import Glibc

/// A buffered writer on a file descriptor. Output is written in large pieces and flushed after each
/// batch of events, so busy traces do not pay one system call per line.
public final class FileOutput: @unchecked Sendable {
  public let fd: Int32
  private var buffer: [UInt8] = []

  public static let standardOutput = FileOutput(fd: 1)
  public static let standardError = FileOutput(fd: 2, unbuffered: true)
  private let unbuffered: Bool

  public init(fd: Int32, unbuffered: Bool = false) {
    self.fd = fd
    self.unbuffered = unbuffered
    buffer.reserveCapacity(1 << 16)
  }

  public func write(_ s: String) {
    buffer.append(contentsOf: s.utf8)
    if unbuffered || buffer.count >= 1 << 16 { flush() }
  }

  public func write(bytes: some Sequence<UInt8>) {
    buffer.append(contentsOf: bytes)
    if unbuffered || buffer.count >= 1 << 16 { flush() }
  }

  public func flush() {
    var offset = 0
    while offset < buffer.count {
      let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if n < 0 {
        if errno == EINTR { continue }
        break  // a closed pipe: drop the output rather than spin
      }
      offset += n
    }
    buffer.removeAll(keepingCapacity: true)
  }
}
