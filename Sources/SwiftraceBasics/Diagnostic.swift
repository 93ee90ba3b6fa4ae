/// A problem found in the script. Stages report diagnostics into a `DiagnosticEngine` and keep going;
/// they never throw for source problems, so one run reports every error of a stage.
public struct Diagnostic: Sendable, Equatable {
  public enum Severity: String, Sendable {
    case error, warning, note
  }

  public struct Note: Sendable, Equatable {
    public var message: String
    public var range: SourceRange?
    public init(_ message: String, at range: SourceRange? = nil) {
      self.message = message
      self.range = range
    }
  }

  public var severity: Severity
  /// Stable identifier, `stage.camelCase`, for tests and documentation.
  public var id: String
  public var message: String
  public var range: SourceRange
  public var notes: [Note]

  public init(_ severity: Severity, id: String, _ message: String, at range: SourceRange, notes: [Note] = []) {
    self.severity = severity
    self.id = id
    self.message = message
    self.range = range
    self.notes = notes
  }

  public init(_ severity: Severity, id: DiagnosticID, _ message: String, at range: SourceRange, notes: [Note] = []) {
    self.init(severity, id: id.rawValue, message, at: range, notes: notes)
  }
}

/// Collects the diagnostics of one source file, in the order they were found.
public final class DiagnosticEngine {
  public let source: SourceFile
  public private(set) var diagnostics: [Diagnostic] = []

  public init(source: SourceFile) { self.source = source }

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  /// A body checked once per attach point reports each problem once.
  public func report(_ diagnostic: Diagnostic) {
    let duplicate = diagnostics.contains {
      $0.severity == diagnostic.severity && $0.id == diagnostic.id && $0.message == diagnostic.message
        && $0.range == diagnostic.range
    }
    if !duplicate { diagnostics.append(diagnostic) }
  }

  public func error(_ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic.Note] = []) {
    error(message.id, message.text, at: range, notes: notes)
  }

  public func warning(_ message: DiagnosticMessage, at range: SourceRange) {
    warning(message.id, message.text, at: range)
  }

  public func error(_ id: DiagnosticID, _ message: String, at range: SourceRange, notes: [Diagnostic.Note] = []) {
    report(Diagnostic(.error, id: id, message, at: range, notes: notes))
  }

  public func warning(_ id: DiagnosticID, _ message: String, at range: SourceRange) {
    report(Diagnostic(.warning, id: id, message, at: range))
  }

  /// Diagnostics ordered by position, so errors read top to bottom whatever stage found them.
  public var sorted: [Diagnostic] {
    diagnostics.enumerated().sorted { a, b in
      (a.element.range.start, a.offset) < (b.element.range.start, b.offset)
    }.map(\.element)
  }
}
