import SwiftraceBasics

/// Macros every script has, written in the language itself as bpftrace's standard library writes
/// its own (src/stdlib/base.bt): a function that is a few statements of the language needs no
/// checker or code generator of its own. A script's macro of the same name and number of
/// parameters replaces one of these.
public enum Prelude {
  static let text = """
    macro assert(cond, msg) {
      if (!(cond)) {
        errorf("assert failed: %s", msg);
        exit(1);
      }
    }
    """

  /// Parsed for each script (a few hundred bytes, and no state shared between compilations); the
  /// expander copies them with fresh node IDs for each call.
  static var macros: [MacroDefinition] {
    let source = SourceFile(name: "<prelude>", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    let program = Parser(source: source, diagnostics: diagnostics).parseProgram(expandingMacros: false)
    precondition(!diagnostics.hasErrors, "the prelude does not parse")
    for macro in program.macros { macro.fromPrelude = true }
    return program.macros
  }
}
