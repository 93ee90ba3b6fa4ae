import Foundation
import SwiftraceTestSupport
import Testing

/// skboutput(): packets copied by the kernel (bpf_skb_output, from a BTF-typed raw tracepoint)
/// land in a PCAP file that tcpdump can read.
@Suite(.needsRoot) struct PacketTests {
  @Test func skbOutputWritesPcap() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-\(getpid()).pcap").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    // On loopback, a sent packet's data starts at its IP header: offset 0 keeps all of it.
    let script = """
      rawtracepoint:net_dev_xmit { @sent[skboutput("\(path)", args->skb, args->skb->len, 0)] = count(); }
      interval:ms:300 { system("/bin/bash -c 'echo swiftrace-pcap > /dev/udp/127.0.0.1/9'"); }
      interval:ms:1000 { exit(); }
      """
    let result = try runProcess(swiftraceExecutable, ["--unsafe", "-e", script], timeout: 30)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("@sent[0]: "), "bpf_skb_output returned an error: \(result.stdout)")
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    #expect(bytes.count > 24 && u32(0) == 0xa1b2_c3d4 && u32(20) == 101, "a PCAP header for raw IP")
    var at = 24, found = false
    while at + 16 <= bytes.count {
      let captured = Int(u32(at + 8)), length = Int(u32(at + 12))
      let packet = Array(bytes[(at + 16)..<min(bytes.count, at + 16 + captured)])
      at += 16 + captured
      // IPv4, UDP, to port 9, carrying the line the script sent; the whole datagram, nothing more.
      guard packet.count >= 28, packet[0] >> 4 == 4, packet[9] == 17, packet[22] == 0, packet[23] == 9 else { continue }
      #expect(captured == length && captured == Int(packet[2]) << 8 | Int(packet[3]))
      #expect(String(decoding: packet[28...], as: UTF8.self) == "swiftrace-pcap\n")
      found = true
    }
    #expect(found, "no UDP datagram to port 9 in \(bytes.count) bytes")
  }

  /// A PCAP file that cannot be created is an error with the reason (it said "Bad file
  /// descriptor": the failed initializer's deinit closed -1 and overwrote errno).
  @Test func uncreatablePcapSaysWhy() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let r = try runProcess(swiftraceExecutable, ["-e", "rawtracepoint:net_dev_xmit { skboutput(\"/no/such/dir/x.pcap\", args->skb, 0, 0); } BEGIN { exit(); }"])
    #expect(r.status == 1 && r.stderr.contains("cannot create '/no/such/dir/x.pcap': No such file or directory"), "\(r.stderr)")
  }
}
