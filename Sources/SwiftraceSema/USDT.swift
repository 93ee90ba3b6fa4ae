import SwiftraceBasics

/// A USDT probe site, as the `.note.stapsdt` ELF note describes it: where the nop is, the
/// semaphore the tracer raises (0 for none), and how each argument is found at that point.
public struct USDTSite: Codable, Hashable, Sendable {
  public let binary: String
  public let provider: String
  public let name: String
  /// Virtual addresses in the binary (already adjusted for prelinking).
  public let address: UInt64
  public let semaphore: UInt64
  /// Where the uprobe goes and where the semaphore is, as offsets in the file (nil: not in a
  /// loadable segment; semaphore 0: none).
  public let fileOffset: UInt64?
  public let semaphoreFileOffset: UInt64
  public let arguments: [USDTArgument]

  public init(binary: String, provider: String, name: String, address: UInt64, semaphore: UInt64,
              fileOffset: UInt64?, semaphoreFileOffset: UInt64, arguments: [USDTArgument]) {
    self.binary = binary
    self.provider = provider
    self.name = name
    self.address = address
    self.semaphore = semaphore
    self.fileOffset = fileOffset
    self.semaphoreFileOffset = semaphoreFileOffset
    self.arguments = arguments
  }
}

/// One argument of a USDT site: `-4@%edi` (a signed 4-byte register), `8@-16(%rbp)` (memory at a
/// register plus an offset), `-4@$5` (a constant).
public struct USDTArgument: Codable, Hashable, Sendable, CustomStringConvertible {
  public enum Location: Codable, Hashable, Sendable {
    /// Bytes into the x86-64 `struct pt_regs`.
    case register(ptRegsOffset: Int)
    case memory(baseOffset: Int, displacement: Int64)
    /// `-88(%rsp,%rax,8)`: memory at base + index * scale + displacement (an array element).
    case indexed(baseOffset: Int, indexOffset: Int, scale: Int, displacement: Int64)
    case constant(Int64)
  }
  public let size: Int
  public let signed: Bool
  public let location: Location
  public let spec: String

  public var description: String { "\(signed ? "" : "u")int\(size * 8) (\(spec))" }

  /// nil for forms the probe cannot read (an index register, `symbol(%rip)`).
  public static func parse(_ spec: String) -> USDTArgument? {
    guard let at = spec.firstIndex(of: "@"), let rawSize = Int(spec[..<at]), rawSize != 0 else { return nil }
    let size = abs(rawSize)
    guard [1, 2, 4, 8].contains(size) else { return nil }
    let operand = spec[spec.index(after: at)...]
    let location: Location
    if operand.hasPrefix("$") {
      guard let value = Int64(operand.dropFirst()) else { return nil }
      location = .constant(value)
    } else if operand.hasPrefix("%") {
      guard let offset = registerOffset(String(operand.dropFirst())) else { return nil }
      location = .register(ptRegsOffset: offset)
    } else if let open = operand.firstIndex(of: "("), operand.hasSuffix(")") {
      let displacementText = operand[..<open]
      let inside = operand[operand.index(after: open)..<operand.index(before: operand.endIndex)]
      guard let displacement = displacementText.isEmpty ? 0 : Int64(displacementText) else { return nil }
      let registers = inside.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
      guard registers[0].hasPrefix("%"), let base = registerOffset(String(registers[0].dropFirst())),
        base != 128 else { return nil }  // rip-relative operands name symbols
      switch registers.count {
      case 1:
        location = .memory(baseOffset: base, displacement: displacement)
      case 2, 3:
        guard registers[1].hasPrefix("%"), let index = registerOffset(String(registers[1].dropFirst())), index != 128,
          let scale = registers.count == 3 ? Int(registers[2]) : 1, [1, 2, 4, 8].contains(scale) else { return nil }
        location = .indexed(baseOffset: base, indexOffset: index, scale: scale, displacement: displacement)
      default:
        return nil
      }
    } else {
      return nil
    }
    return USDTArgument(size: size, signed: rawSize < 0, location: location, spec: spec)
  }

  /// The `struct pt_regs` offset (Registers) of an assembler register name and its narrower
  /// aliases: %rax, %eax, %ax, %al; %r8, %r8d, %r8w, %r8b; %rip.
  static func registerOffset(_ name: String) -> Int? {
    if name == "rip" || name == "eip" { return Registers.instructionPointerOffset }
    for base in ["ax", "bx", "cx", "dx", "si", "di", "bp", "sp"] {
      // al, bl, cl, dl for the first four; sil, dil, bpl, spl for the others
      let low = base.hasSuffix("x") ? "\(base.prefix(1))l" : "\(base)l"
      if ["r\(base)", "e\(base)", base, low].contains(name) { return Registers.offset(of: base) }
    }
    if name.hasPrefix("r") {
      let digits = name.dropFirst().prefix { $0.isNumber }
      let suffix = name.dropFirst(1 + digits.count)
      if let n = Int(digits), (8...15).contains(n), ["", "d", "w", "b"].contains(suffix) { return Registers.offset(of: "r\(n)") }
    }
    return nil
  }
}
