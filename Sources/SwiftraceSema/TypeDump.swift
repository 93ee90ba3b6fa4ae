import SwiftraceSyntax

/// The `--dump=types` format: the solved maps, the expanded probes, then the AST with each
/// expression's type.
public enum TypeDump {
  public static func print(_ checked: CheckedProgram) -> String {
    var out = "maps\n"
    for m in checked.maps {
      let keys = m.keyTypes.map(\.description).joined(separator: ", ")
      out += " \(m.name)[\(keys)] -> \(m.valueType) (\(m.storage.rawValue))\n"
    }
    out += "probes\n"
    for p in checked.probes { out += " \(p.index): \(p.name)\n" }
    out += ASTPrinter.print(checked.program) { id in checked.types[id].map(\.description) }
    return out
  }
}
