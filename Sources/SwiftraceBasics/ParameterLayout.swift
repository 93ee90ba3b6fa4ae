/// How a compiled program reads its positional parameters. Those it reads only as values (`$1` in
/// an expression, `str($2)`) are slots of a read-only data section the run fills before loading,
/// so one object (an artefact, a cached program) runs with any values; the verifier sees them as
/// the constants they are. Those the compiler used (an attach point, `unroll($1)`, a size, a
/// condition decided when compiling) are compiled in: a run must give the same value.
public struct ParameterLayout: Codable, Sendable, Equatable {
  public enum Use: Codable, Sendable, Equatable, Hashable {
    /// `$N`: its number, 8 bytes.
    case integer
    /// `str($N)`: its bytes and a NUL, in SIZE bytes.
    case string(size: Int)

    var byteSize: Int {
      switch self {
      case .integer: return 8
      case .string(let size): return (size + 7) / 8 * 8
      }
    }
  }

  public struct Slot: Codable, Sendable, Equatable {
    public let number: Int
    public let use: Use
    /// Where the slot starts in the section.
    public let offset: Int
  }

  /// The ELF section (and libbpf map) holding the slots, and its one variable.
  public static let section = ".rodata.swiftrace_params"
  public static let symbol = "swiftrace_params"

  public private(set) var slots: [Slot] = []
  /// Parameters whose value is compiled in.
  public var fixed: Set<Int> = []
  /// Whether `$#` (the number of parameters) is compiled in.
  public var countIsFixed = false

  public init() {}

  /// Lays out USES (a parameter may be read both ways), parameters in FIXED left out.
  public init(uses: [Int: Set<Use>], fixed: Set<Int>, countIsFixed: Bool) {
    self.fixed = fixed
    self.countIsFixed = countIsFixed
    var offset = 0
    for number in uses.keys.sorted() where !fixed.contains(number) {
      for use in uses[number]!.sorted(by: { $0.byteSize < $1.byteSize }) {
        slots.append(Slot(number: number, use: use, offset: offset))
        offset += use.byteSize
      }
    }
  }

  public var size: Int { slots.last.map { $0.offset + $0.use.byteSize } ?? 0 }

  public func slot(_ number: Int, _ use: Use) -> Slot? {
    slots.first { $0.number == number && $0.use == use }
  }

  public func integerSlot(_ number: Int) -> Slot? {
    slots.first { $0.number == number && $0.use == .integer }
  }

  public func stringSlot(_ number: Int) -> Slot? {
    slots.first { if case .string = $0.use { return $0.number == number } else { return false } }
  }

  /// A positional parameter's number, as bpftrace reads one: `0x1f` hexadecimal, `0775` octal,
  /// else decimal (with a sign); nil if it is not a number.
  public static func integerValue(_ s: String) -> Int64? {
    if s.hasPrefix("0x") || s.hasPrefix("0X") { return Int64(s.dropFirst(2), radix: 16) }
    if s.count > 1, s.hasPrefix("0"), s.allSatisfy(\.isNumber) { return Int64(s.dropFirst(), radix: 8) }
    return Int64(s)
  }

  /// Whether a run may give PARAMETERS to a program compiled with BUILT; why not otherwise.
  public func check(_ parameters: [String], builtWith built: [String]) -> String? {
    func value(_ list: [String], _ n: Int) -> String? { n <= list.count ? list[n - 1] : nil }
    if countIsFixed && parameters.count != built.count {
      return "the program was compiled with \(built.count) positional parameter\(built.count == 1 ? "" : "s") and reads how many ($#) when compiling, not \(parameters.count)"
    }
    for n in fixed.sorted() where value(parameters, n) != value(built, n) {
      return "the program was compiled with $\(n) = \(quoted(value(built, n))), which it used when compiling (an attach point, a size, a condition), not \(quoted(value(parameters, n))): compile it again with this value"
    }
    for slot in slots {
      let text = value(parameters, slot.number) ?? ""
      switch slot.use {
      case .integer:
        if Self.integerValue(value(parameters, slot.number) ?? "0") == nil {
          return "positional parameter $\(slot.number) is \"\(text)\", not a number, and the program reads it as one"
        }
      case .string(let size):
        if text.rawByteCount >= size {
          return "positional parameter $\(slot.number) has \(text.rawByteCount) bytes; the program holds \(size - 1) for it: compile it again with a value this long"
        }
      }
    }
    return nil
  }

  /// The section's bytes for PARAMETERS (checked first): numbers little-endian, strings NUL-padded.
  public func bytes(for parameters: [String]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    for slot in slots {
      let text = slot.number <= parameters.count ? parameters[slot.number - 1] : nil
      switch slot.use {
      case .integer:
        let v = UInt64(bitPattern: Self.integerValue(text ?? "0") ?? 0)
        for i in 0..<8 { bytes[slot.offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
      case .string(let size):
        for (i, b) in (text ?? "").rawBytes.prefix(size - 1).enumerated() { bytes[slot.offset + i] = b }
      }
    }
    return bytes
  }

  private func quoted(_ v: String?) -> String { v.map { "'\($0)'" } ?? "(none)" }
}
