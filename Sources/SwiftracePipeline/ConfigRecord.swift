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
    func namesConfig(_ e: Expr) -> Bool {
      switch e.kind {
      case .builtin(let name): return name == "config"
      case .call(let name, let args): return name == "config" && args.isEmpty
      default: return false
      }
    }
    func literal(_ value: Configuration.Setting) -> Expr.Kind {
      switch value {
      case .flag(let b): return .boolean(b)
      case .number(let n): return .integer(UInt64(n))
      case .text(let t): return .string(t)
      }
    }
    // `config.max_strlen` is its value alone: a whole record (twenty-odd fields, strings among
    // them) for each field read would fill the BPF stack.
    program.forEachExpression { e in
      if case .field(let base, let name, _) = e.kind, namesConfig(base), let field = fields.first(where: { $0.0 == name }) {
        e.kind = literal(field.1)
      }
    }
    program.forEachExpression { e in
      guard namesConfig(e) else { return }
      let values = fields.map { Expr(id: program.nodeIDs.make(), kind: literal($0.1), range: e.range) }
      e.kind = .record(names: fields.map(\.0), values: values)
    }
  }
}
