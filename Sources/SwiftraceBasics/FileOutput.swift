import Glibc

/// `-B`: when output reaches the file. Without it, output is flushed after each batch of events.
public enum OutputBuffering: String, Codable, Sendable {
  /// At every newline.
  case line
  /// Only when 64 KiB are buffered, and at exit.
  case full
  /// At every write.
  case none
}

/// A buffered writer on a file descriptor. Output is written in large pieces and flushed after each
/// batch of events, so busy traces do not pay one system call per line.
public final class FileOutput: @unchecked Sendable {
  public var buffering: OutputBuffering?
  public let fd: Int32
  private var buffer: [UInt8] = []
  /// The pipe's reader has gone (`swiftrace ... | head`): nothing written here will be read.
  public private(set) var readerGone = false
  /// Some output could not be written (a full disk under -o): the trace's exit status says so.
  public private(set) var lostOutput = false
  private var reportedWriteError = false
  /// Stopping, the reader took nothing for a fifth of a second: further output is dropped at once.
  private var stalled = false

  /// Set (by the signal handler) once the trace is to stop: a write that blocks because nobody
  /// reads the output (`| sleep 60`, a paused pager) gives up and drops what it holds, so that
  /// the trace ends within a second instead of never.
  nonisolated(unsafe) public static var abandonBlockedWrites = false

  public static let standardOutput = FileOutput(fd: 1)
  public static let standardError = FileOutput(fd: 2, unbuffered: true)
  private let unbuffered: Bool

  public init(fd: Int32, unbuffered: Bool = false) {
    self.fd = fd
    self.unbuffered = unbuffered
    buffer.reserveCapacity(1 << 16)
  }

  /// Writes the bytes the string stands for: bytes that are not UTF-8 go out as they came in.
  public func write(_ s: String) {
    // The common case copies the UTF-8 straight in; only text with escapes is rebuilt as bytes.
    if RawBytes.mayHoldEscapes(s) { append { $0.append(contentsOf: s.rawBytes) } } else { append { $0.append(contentsOf: s.utf8) } }
  }

  /// The end of a batch of events: flushed unless `-B full` asked to wait for a full buffer.
  public func endOfBatch() {
    if buffering != .full { flush() }
  }

  /// Lets `body` append bytes to the buffer directly (no String in between), then flushes when
  /// the buffering mode says so (every write, every newline, or 64 KiB).
  public func append(_ body: (inout [UInt8]) -> Void) {
    let start = buffer.count
    body(&buffer)
    if unbuffered || buffering == OutputBuffering.none || buffer.count >= 1 << 16
      || (buffering == .line && buffer[start...].contains(UInt8(ascii: "\n"))) {
      flush()
    }
  }

  public func flush() {
    var offset = 0
    while offset < buffer.count {
      if FileOutput.abandonBlockedWrites {
        // Stopping: write only what the reader takes within a fifth of a second, once; after
        // that, only what it takes at once.
        var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        if poll(&ready, 1, stalled ? 0 : 200) <= 0 {
          stalled = true
          break
        }
      }
      let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if n < 0 {
        if errno == EINTR { continue }  // the loop comes back to the check above
        if errno == EPIPE { readerGone = true }
        else if fd != 2 { lostOutput = true }
        if errno != EPIPE && !reportedWriteError && fd != 2 {
          // A full disk under -o FILE, say: say so once, rather than losing output in silence.
          reportedWriteError = true
          FileOutput.standardError.write(SystemMessage.warning("writing the output failed (\(String(cString: strerror(errno)))); output is being lost"))
        }
        break  // drop the output rather than spin
      }
      offset += n
    }
    buffer.removeAll(keepingCapacity: true)
  }
}
