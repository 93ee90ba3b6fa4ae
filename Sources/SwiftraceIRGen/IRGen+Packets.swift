import CLLVM
import SwiftraceSema
import SwiftraceSyntax

/// `skboutput()`: bpf_skb_output sends a 24-byte header (the call's id, the boot-clock
/// time, the packet's length) and then `length` bytes of the packet through the perf event
/// array; userspace writes them to the call's PCAP file. The length is in the header because a
/// perf record is padded to 8 bytes.
extension IRGenerator {
  func emitSkbOutput(_ args: [Expr], _ e: Expr) -> IRValue {
    guard let id = checked.skbOutputIDs[e.id], let packets else { return .integer(m.int(0)) }
    let header = scratch(24)
    store64(m.int(UInt64(id)), at: header)
    store64(callHelper(.ktimeGetBootNs, []), at: offset(header, 8))  // bpf_ktime_get_boot_ns
    let skb = emitInteger(args[1])
    // The kernel takes 20 bits of length (BPF_F_CTXLEN_MASK).
    let length = LLVMBuildAnd(m.builder, emitInteger(args[2]), m.int(0xf_ffff), "")!
    store64(length, at: offset(header, 16))
    // The packet's byte count in the flags' upper half; BPF_F_CURRENT_CPU in the lower.
    let flags = LLVMBuildOr(m.builder, LLVMBuildShl(m.builder, length, m.int(32), "")!, m.int(0xffff_ffff), "")!
    let rc = callHelper(.skbOutput, [skb, LLVMBuildBitCast(m.builder, packets, m.i8Ptr, "")!, flags, bytePointer(header), m.int(24)])
    return .integer(rc)
  }
}
