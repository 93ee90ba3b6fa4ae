import SwiftraceBasics
import SwiftraceSyntax

/// `skboutput("file.pcap", skb, length, offset)`: the kernel copies up to `length` bytes of the
/// packet (bpf_skb_output, a helper of BTF-typed tracing programs) and swiftrace writes them to a
/// PCAP file, without their first `offset` bytes. It returns the helper's 0 or negative error.
extension TypeChecker {
  func checkSkbOutput(args: [Expr], _ e: Expr) -> SType? {
    guard args.count == 4 else {
      error(.skboutputArity, at: e.range)
      return nil
    }
    guard case .string(let path) = args[0].kind, !path.isEmpty else {
      error(.skboutputFile, at: args[0].range)
      return nil
    }
    types[args[0].id] = .string(size: path.rawByteCount + 1)
    guard let skb = check(args[1]) else { return nil }
    guard case .pointer(.record(let record), _) = skb, record.name == "sk_buff" else {
      error(.skboutputPacket(skb), at: args[1].range)
      return nil
    }
    if let length = check(args[2]), !length.isInteger {
      error(.lengthNotInteger(.skboutput), at: args[2].range)
    }
    guard let offsetType = check(args[3]), offsetType.isInteger, let offset = compileTimeInteger(args[3]),
          offset >= 0, offset < 65536 else {
      error(.skboutputOffset, at: args[3].range)
      return nil
    }
    if skbOutputIDs[e.id] == nil {
      skbOutputIDs[e.id] = skbOutputs.count
      skbOutputs.append(SkbOutput(path: path, offset: Int(offset)))
    }
    return .int64
  }
}
