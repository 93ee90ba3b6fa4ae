import Glibc

/// A PCAP file of raw IP packets (link type 101, LINKTYPE_RAW), as tcpdump and Wireshark read
/// it: a 24-byte header, then a 16-byte header (time, lengths) before each packet.
final class PcapFile {
  private let fd: Int32
  static let snapshotLength: UInt32 = 65535

  /// Creates (or empties) the file; nil with errno set if it cannot.
  init?(path: String) {
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return nil }
    var header: [UInt8] = []
    Self.append(UInt32(0xa1b2_c3d4), to: &header)  // microsecond timestamps
    Self.append(UInt16(2), to: &header)
    Self.append(UInt16(4), to: &header)
    Self.append(UInt32(0), to: &header)  // GMT offset
    Self.append(UInt32(0), to: &header)  // accuracy
    Self.append(Self.snapshotLength, to: &header)
    Self.append(UInt32(101), to: &header)
    write(header)
  }

  deinit { close(fd) }

  func write(packet: UnsafeRawBufferPointer, wallClockNanoseconds ns: UInt64) {
    let captured = min(packet.count, Int(Self.snapshotLength))
    var record: [UInt8] = []
    Self.append(UInt32(truncatingIfNeeded: ns / 1_000_000_000), to: &record)
    Self.append(UInt32(truncatingIfNeeded: ns % 1_000_000_000 / 1000), to: &record)
    Self.append(UInt32(captured), to: &record)
    Self.append(UInt32(packet.count), to: &record)
    record += packet.prefix(captured)
    write(record)
  }

  private func write(_ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return }
      done += n
    }
  }

  private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }
}
