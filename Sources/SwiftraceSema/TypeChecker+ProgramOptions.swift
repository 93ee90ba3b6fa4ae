import SwiftraceBasics
import SwiftraceSyntax

/// A program option a script reads with `getopt("name", default, "description")` (bpftrace 0.22
/// and later), given on the command line after `--` as `--name=value`, or `--name` for a flag.
public struct ProgramOption: Sendable, Equatable {
  public enum Value: Sendable, Equatable, CustomStringConvertible {
    case flag(Bool)
    case signed(Int64)
    case unsigned(UInt64)
    case text(String)

    public var description: String {
      switch self {
      case .flag(let b): return b ? "true" : "false"
      case .signed(let n): return String(n)
      case .unsigned(let n): return String(n)
      case .text(let s): return "\"\(s)\""
      }
    }

    /// What the option expects, for an error about a value given.
    var expectation: String {
      switch self {
      case .flag: return "a boolean (true or false)"
      case .signed, .unsigned: return "an integer"
      case .text: return "a string"
      }
    }
  }

  public let name: String
  public let defaultValue: Value
  public let description: String
  /// Where the first getopt() of this name is.
  public let range: SourceRange
}

extension TypeChecker {
  /// `getopt(name [, default [, description]])`: a value known when compiling, the option given
  /// on the command line or else the default, whose literal decides the type (a flag when there is
  /// none). Every getopt() of one name must agree on the default and the description.
  func checkGetopt(_ args: [Expr], _ e: Expr) -> SType? {
    guard checkArity(.getopt, 1...3, args: args, e) else { return nil }
    guard case .string(let name) = args[0].kind else {
      error(.getoptLiteral("its first argument, the option's name, must be a string literal"), at: args[0].range)
      return nil
    }
    var defaultValue = ProgramOption.Value.flag(false)
    if args.count >= 2 {
      switch args[1].kind {
      case .boolean(let b): defaultValue = .flag(b)
      case .string(let s): defaultValue = .text(s)
      case .integer(let n): defaultValue = .unsigned(n)
      case .unary(.negate, let operand):
        guard case .integer(let n) = operand.kind, n <= UInt64(Int64.max) else { fallthrough }
        defaultValue = .signed(-Int64(n))
      default:
        error(.getoptLiteral("its default must be a literal: an integer, a string, true or false"), at: args[1].range)
        return nil
      }
    }
    var description = ""
    if args.count == 3 {
      guard case .string(let s) = args[2].kind else {
        error(.getoptLiteral("its description must be a string literal"), at: args[2].range)
        return nil
      }
      description = s
    }
    if let first = programOptions[name] {
      if first.defaultValue != defaultValue {
        error(.getoptDefaults(name, first.defaultValue), at: args.count >= 2 ? args[1].range : e.range,
              notes: [.init("first read here", at: first.range)])
        return nil
      }
      if !description.isEmpty, !first.description.isEmpty, description != first.description {
        error(.getoptDescriptions(name), at: args[2].range, notes: [.init("first read here", at: first.range)])
        return nil
      }
      if first.description.isEmpty, !description.isEmpty {
        programOptions[name] = ProgramOption(name: name, defaultValue: defaultValue, description: description, range: first.range)
      }
    } else {
      programOptions[name] = ProgramOption(name: name, defaultValue: defaultValue, description: description, range: e.range)
    }
    guard let value = optionValue(name, defaultValue, at: e.range) else { return nil }
    switch value {
    case .flag(let b):
      constants[e.id] = b ? 1 : 0
      return .bool
    case .signed(let n):
      constants[e.id] = UInt64(bitPattern: n)
      return .int64
    case .unsigned(let n):
      constants[e.id] = n
      return .uint64
    case .text(let s):
      guard s.rawByteCount < options.stringLength else {
        error(.getoptTooLong(name, limit: options.stringLength), at: e.range)
        return nil
      }
      byteConstants[e.id] = s.rawBytes + [0]
      return .string(size: s.rawByteCount + 1)
    }
  }

  /// The value given on the command line for option `name`, read as its default's type; the
  /// default when none was given.
  private func optionValue(_ name: String, _ defaultValue: ProgramOption.Value, at range: SourceRange) -> ProgramOption.Value? {
    guard let given = options.programOptions.first(where: { $0.name == name }) else { return defaultValue }
    func refuse() -> ProgramOption.Value? {
      // Once, at the first getopt() of the name: the others read the same value.
      if programOptions[name]?.range == range {
        error(.getoptValue(name, given: given.value, expects: defaultValue.expectation), at: range)
      }
      return nil
    }
    guard let text = given.value else {
      if case .flag = defaultValue { return .flag(true) }
      return refuse()
    }
    switch defaultValue {
    case .flag:
      switch text.lowercased() {
      case "true", "1", "yes", "on": return .flag(true)
      case "false", "0", "no", "off": return .flag(false)
      default: return refuse()
      }
    case .signed:
      return parseIntegerParameter(text).map { .signed($0) } ?? refuse()
    case .unsigned:
      guard let n = parseIntegerParameter(text), n >= 0 else { return refuse() }
      return .unsigned(UInt64(n))
    case .text:
      return .text(text)
    }
  }
}
