import SwiftraceBasics
import SwiftraceIRGen
import SwiftraceRuntime
import SwiftraceSema
import SwiftraceSyntax

/// One fuzz input through every stage that needs no kernel load: lexer, parser, type checker (with
/// this machine's tracefs and BTF, read only) and code generation to a BPF object. What counts as a
/// finding: a crash or hang anywhere, a diagnostic that points outside the input, or a program the
/// checker accepted that code generation cannot compile (except for BPF's own limits, which are
/// reported to the user as such).
public enum FuzzPipeline {
  nonisolated(unsafe) static let kernelTypes = KernelBTF()
  static let tracepoints = TracefsCatalog()

  public static func run(_ bytes: UnsafeRawBufferPointer) {
    // As the driver reads a script file: bytes that are not UTF-8 are kept (RawBytes).
    let text = String(rawBytes: bytes)
    // As swiftrace runs it: on a thread with room for the recursion the parser's bounds allow.
    withLargeStack { run(text) }
  }

  public static func run(_ text: String) {
    let source = SourceFile(name: "fuzz.st", text: text)
    let diagnostics = DiagnosticEngine(source: source)
    let program = Parser.parse(source, diagnostics: diagnostics)
    defer { checkLocated(diagnostics, in: source) }
    // C definitions go through libclang, which is not what this fuzzes.
    guard !diagnostics.hasErrors, program.cDefinitions.isEmpty else { return }
    var options = TypeChecker.Options()
    options.hasChildCommand = true
    options.hasTargetProcess = true
    let checked = TypeChecker.check(program, source: source, diagnostics: diagnostics, catalog: tracepoints,
                                    kernelTypes: kernelTypes, options: options)
    guard !diagnostics.hasErrors else { return }
    do {
      _ = try IRGenerator(checked: checked, options: IRGenOptions()).generateObject()
    } catch .limit, .tooLarge {
      // A clear error (the program is over BPF's size limits, say), not a finding.
    } catch {
      fatalError("the checker accepted a program that code generation refused: \(error)\n\(text)")
    }
  }

  /// Every rejected input gets located errors, inside the text.
  static func checkLocated(_ diagnostics: DiagnosticEngine, in source: SourceFile) {
    for d in diagnostics.diagnostics where d.range.start < 0 || d.range.end < d.range.start || d.range.start > source.bytes.count {
      fatalError("diagnostic '\(d.id)' points outside the input (\(d.range)): \(d.message)")
    }
  }
}
