import SwiftraceBasics
import SwiftraceSyntax

/// `config` and `config()` (bpftrace 0.24 and later): the settings the program runs with, as a
/// record of constants (`config.max_strlen`, `print(config)`). The record is written into the
/// program before it is checked, from the keys' declarations (ConfigKey) in their order, so
/// the checker and code generation see an ordinary record literal.
extension Compilation {
  func substituteConfigRecords(in program: Program) {
    let fields = ConfigKey.allCases.compactMap { key -> (String, Configuration.Setting)? in
      guard let name = key.configName,
        let value = configuration.setting(key, newerSyntax: program.newerSyntax != nil) else { return nil }
      return (name, value)
    }
    program.forEachExpression { e in
      let namesConfig: Bool
      switch e.kind {
      case .builtin(let name): namesConfig = name == "config"
      case .call(let name, let args): namesConfig = name == "config" && args.isEmpty
      default: namesConfig = false
      }
      if namesConfig {
        let values = fields.map { _, value -> Expr in
          let kind: Expr.Kind
          switch value {
          case .flag(let b): kind = .boolean(b)
          case .number(let n): kind = .integer(UInt64(n))
          case .text(let t): kind = .string(t)
          }
          return Expr(id: program.nodeIDs.make(), kind: kind, range: e.range)
        }
        e.kind = .record(names: fields.map(\.0), values: values)
      }
    }
  }
}
