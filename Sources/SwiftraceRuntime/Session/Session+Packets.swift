import CSyscalls
import Glibc
import SwiftraceBPF
import SwiftraceSema

/// `skboutput()`: packets arrive through a perf event array (IRGen+Packets) as a 24-byte header
/// (the call's id, the boot-clock time, the packet's length) and the packet's bytes (then the
/// record's padding); each call's PCAP file gets them without their first `offset` bytes.
extension Session {
  func openPacketOutputs(_ object: BPFObject) throws(BPFError) {
    guard !plan.skbOutputs.isEmpty, let map = object.map(named: ObjectSymbols.packets) else { return }
    for output in plan.skbOutputs where pcapFiles[output.path] == nil {
      guard let file = PcapFile(path: output.path) else {
        throw .system(what: "skboutput: cannot create '\(output.path)'", errno: errno)
      }
      pcapFiles[output.path] = file
    }
    // The boot clock's distance from the wall clock: packet times are boot-clock times.
    var wall = timespec(), boot = timespec()
    clock_gettime(CLOCK_REALTIME, &wall)
    clock_gettime(CLOCK_BOOTTIME, &boot)
    let bootEpoch = (Int64(wall.tv_sec) - Int64(boot.tv_sec)) * 1_000_000_000 + Int64(wall.tv_nsec) - Int64(boot.tv_nsec)
    let outputs = plan.skbOutputs
    let files = pcapFiles
    // BPFTRACE_PERF_RB_PAGES, as in bpftrace: large packets need large buffers (a power of two).
    let pages = 1 << (Int.bitWidth - (max(1, options.perfPages) - 1).leadingZeroBitCount)
    packetReader = try PerfBufferReader(map: map, pagesPerCPU: pages) { record in
      guard record.count >= 24 else { return }
      let id = Int(record.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
      let time = record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
      let length = Int(record.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
      guard id < outputs.count, let file = files[outputs[id].path] else { return }
      let end = min(record.count, 24 + length)
      let packet = UnsafeRawBufferPointer(rebasing: record[min(end, 24 + outputs[id].offset)..<end])
      file.write(packet: packet, wallClockNanoseconds: UInt64(max(0, Int64(time) + bootEpoch)))
    }
  }

  /// The packets sent so far, written through to their files (a reader may follow them live).
  func consumePackets() {
    guard let packetReader else { return }
    packetReader.consume()
    for file in pcapFiles.values { file.flush() }
  }
}
