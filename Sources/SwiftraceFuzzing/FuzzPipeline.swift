import SwiftraceBasics
import SwiftracePipeline
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceSyntax

/// One fuzz input through every stage that needs no kernel load: lexer, parser, type checker (with
/// this machine's tracefs and BTF, read only) and code generation to a BPF object. What counts as a
/// finding: a crash or hang anywhere, a diagnostic that points outside the input, or a program the
/// checker accepted that code generation cannot compile (except for BPF's own limits, which are
/// reported to the user as such).
public enum FuzzPipeline {
  /// This machine's tracefs and BTF, read only; no machine facts (symbols, files), so that an
  /// input means the same on every run.
  nonisolated(unsafe) static let context = Compilation.Context(tracepoints: TracefsCatalog(), kernelTypes: KernelBTF())

  public static func run(_ bytes: UnsafeRawBufferPointer) {
    // As the driver reads a script file: bytes that are not UTF-8 are kept (RawBytes).
    let text = String(rawBytes: bytes)
    // As swiftrace runs it: on a thread with room for the recursion the parser's bounds allow.
    withLargeStack { run(text) }
  }

  public static func run(_ text: String) {
    checkFormatting(text)
    let compilation = Compilation(source: SourceFile(name: "fuzz.st", text: text), configuration: Configuration())
    defer { checkLocated(compilation.diagnostics, in: compilation.source) }
    do {
      let program = try compilation.parse()
      // C definitions go through libclang, which is not what this fuzzes.
      guard program.cDefinitions.isEmpty else { return }
      let checked: CheckedProgram
      do { checked = try compilation.check(program, in: context) } catch .system {
        return  // more probes than the configuration allows: a clear error, not a finding
      }
      _ = try compilation.emit(checked)
    } catch .diagnostics, .noProbes, .backendLimit, .tooLarge {
      // The script's errors, located; or a clear error (over BPF's size limits, say): not findings.
    } catch {
      fatalError("the checker accepted a program that code generation refused: \(compilation.report(error))\n\(text)")
    }
  }

  /// `--fmt`: a script that parses formats to one with the same AST (angle blocks become braces)
  /// that formatting leaves as it is.
  static func checkFormatting(_ text: String) {
    let source = SourceFile(name: "fuzz.st", text: text)
    guard let once = Formatter.format(source, diagnostics: DiagnosticEngine(source: source)) else { return }
    let again = SourceFile(name: "fuzz.st", text: once)
    guard let twice = Formatter.format(again, diagnostics: DiagnosticEngine(source: again)) else {
      fatalError("the formatted script does not parse:\n\(once)\n--- from ---\n\(text)")
    }
    if twice != once { fatalError("formatting twice changes the script:\n\(once)\n--- to ---\n\(twice)") }
    let before = ASTPrinter.print(Parser.parse(source, diagnostics: DiagnosticEngine(source: source)))
      .replacing(" <>\n", with: " {}\n")
    let after = ASTPrinter.print(Parser.parse(again, diagnostics: DiagnosticEngine(source: again)))
    if before != after { fatalError("the formatted script means something else:\n\(once)\n--- from ---\n\(text)") }
  }

  /// Every rejected input gets located errors, inside the text.
  static func checkLocated(_ diagnostics: DiagnosticEngine, in source: SourceFile) {
    for d in diagnostics.diagnostics where d.range.start < 0 || d.range.end < d.range.start || d.range.start > source.bytes.count {
      fatalError("diagnostic '\(d.id)' points outside the input (\(d.range)): \(d.message)")
    }
  }
}
