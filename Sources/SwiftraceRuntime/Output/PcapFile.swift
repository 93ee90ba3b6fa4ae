import Glibc
import SwiftraceBPF
import SwiftraceBasics

/// A PCAP file of raw IP packets (link type 101, LINKTYPE_RAW), as tcpdump and Wireshark read
/// it: a 24-byte header, then a 16-byte header (time, lengths) before each packet. Written through
/// a FileOutput, which buffers and says once if writing fails.
final class PcapFile {
  private let output: FileOutput
  static let snapshotLength: UInt32 = 65535

  /// Creates (or empties) the file; nil with errno set if it cannot. The file is opened before
  /// any property is set, so a failure runs no deinit that could overwrite errno.
  init?(path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return nil }
    output = FileOutput(fd: fd)
    output.append { header in
      Self.append(UInt32(0xa1b2_c3d4), to: &header)  // microsecond timestamps
      Self.append(UInt16(2), to: &header)
      Self.append(UInt16(4), to: &header)
      Self.append(UInt32(0), to: &header)  // GMT offset
      Self.append(UInt32(0), to: &header)  // accuracy
      Self.append(Self.snapshotLength, to: &header)
      Self.append(UInt32(101), to: &header)
    }
  }

  deinit {
    output.flush()
    close(output.fd)
  }

  func flush() { output.flush() }

  func write(packet: UnsafeRawBufferPointer, wallClockNanoseconds ns: UInt64) {
    let captured = min(packet.count, Int(Self.snapshotLength))
    output.append { record in
      Self.append(UInt32(truncatingIfNeeded: ns / 1_000_000_000), to: &record)
      Self.append(UInt32(truncatingIfNeeded: ns % 1_000_000_000 / 1000), to: &record)
      Self.append(UInt32(captured), to: &record)
      Self.append(UInt32(packet.count), to: &record)
      record += packet.prefix(captured)
    }
  }

  private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }
}
