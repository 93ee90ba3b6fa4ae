import SwiftraceBasics
import Glibc

/// A tracepoint field the program reads, as the compiling machine's format had it.
public struct TracepointFieldUse: Codable, Sendable, Equatable {
  public let category: String
  public let event: String
  public let field: TracepointFormat.Field
  /// The first read in the script.
  public let range: SourceRange

  public init(category: String, event: String, field: TracepointFormat.Field, range: SourceRange) {
    self.category = category
    self.event = event
    self.field = field
    self.range = range
  }
}

/// The fields of one tracepoint, from tracefs's `events/CATEGORY/EVENT/format` file.
public struct TracepointFormat: Sendable, Equatable {
  public struct Field: Codable, Sendable, Equatable {
    public enum Kind: Codable, Sendable, Equatable {
      /// An integer (or pointer) of `size` bytes.
      case integer(signed: Bool)
      /// `char name[N]`: an inline string.
      case charArray(length: Int)
      /// Any other array, `unsigned long args[6]`, `__u8 saddr[4]`: `count` elements of `size / count` bytes.
      case array(count: Int)
      /// `__data_loc char[] name`: a u32 of (length << 16 | offset) pointing into the record.
      case dataLocString
    }
    public var name: String
    public var cType: String
    public var offset: Int
    public var size: Int
    public var kind: Kind

    /// The declaration as the format file spells it: `const char * filename`, `__u8 saddr[4]`.
    public var declaration: String {
      switch kind {
      case .charArray(let n), .array(let n): return "\(cType) \(name)[\(n)]"
      case .integer, .dataLocString: return "\(cType) \(name)"
      }
    }
  }

  public var fields: [Field]

  public func field(named name: String) -> Field? { fields.first { $0.name == name } }

  /// Of the fields USES read, those the format at ROOTS has otherwise (another offset, size or
  /// type) or not at all, with what it has: an artefact may run on another kernel than the one
  /// it was compiled on, and its code reads each field where the compiling kernel had it.
  public static func changedFields(_ uses: [TracepointFieldUse], catalog: TracepointCatalog)
    -> [(use: TracepointFieldUse, now: Field?)] {
    var formats: [String: TracepointFormat?] = [:]
    var changed: [(use: TracepointFieldUse, now: Field?)] = []
    for use in uses {
      let key = use.category + ":" + use.event
      if formats[key] == nil { formats[key] = .some(catalog.format(category: use.category, event: use.event)) }
      // A tracepoint that is gone fails to attach, with its own message.
      guard let format = formats[key]! else { continue }
      let now = format.field(named: use.field.name)
      if now != use.field { changed.append((use, now)) }
    }
    return changed
  }

  /// Parses a format file; the common_ fields are kept (bpftrace offers them too).
  public static func parse(_ text: String) -> TracepointFormat {
    var fields: [Field] = []
    for line in text.split(separator: "\n") {
      let trimmed = line.trimmingSpaces()
      guard trimmed.hasPrefix("field:") else { continue }
      var decl = "", offset = 0, size = 0, signed = false
      for part in trimmed.split(separator: ";") {
        let kv = part.trimmingSpaces()
        if kv.hasPrefix("field:") { decl = String(kv.dropFirst(6)) }
        if kv.hasPrefix("offset:") { offset = Int(kv.dropFirst(7)) ?? 0 }
        if kv.hasPrefix("size:") { size = Int(kv.dropFirst(5)) ?? 0 }
        if kv.hasPrefix("signed:") { signed = kv.dropFirst(7) == "1" }
      }
      guard let (name, cType, arrayLength) = splitDeclaration(decl) else { continue }
      let kind: Field.Kind
      if cType.hasPrefix("__data_loc") && cType.contains("char") {
        kind = .dataLocString
      } else if let n = arrayLength, isPlainChar(cType) {
        kind = .charArray(length: n)
      } else if let n = arrayLength {
        guard n > 0 else { continue }  // a flexible array member holds nothing of its own
        kind = .array(count: n)
      } else {
        kind = .integer(signed: signed)
      }
      fields.append(Field(name: name, cType: cType, offset: offset, size: size, kind: kind))
    }
    return TracepointFormat(fields: fields)
  }

  /// `char` and `signed char` (with qualifiers): arrays of them are strings, as in bpftrace, where
  /// `unsigned char` and `__u8` arrays are arrays of integers.
  static func isPlainChar(_ cType: String) -> Bool {
    let words = cType.split(separator: " ").filter { $0 != "const" && $0 != "volatile" }
    return words == ["char"] || words == ["signed", "char"]
  }

  /// `const char * filename` -> ("filename", "const char *", nil); `char comm[16]` -> ("comm", "char", 16).
  static func splitDeclaration(_ decl: String) -> (String, String, Int?)? {
    var d = decl.trimmingSpaces()
    var arrayLength: Int?
    if d.hasSuffix("]"), let open = d.lastIndex(of: "[") {
      let inside = d[d.index(after: open)..<d.index(before: d.endIndex)]
      arrayLength = Int(inside) ?? 0
      d = String(d[..<open])
    }
    guard let nameStart = d.lastIndex(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
    let name = String(d[d.index(after: nameStart)...])
    let type = String(d[...nameStart]).trimmingSpaces()
    if type.hasPrefix("__data_loc") { return (name, type, nil) }
    return name.isEmpty ? nil : (name, type, arrayLength)
  }
}

/// Where tracepoint formats come from: tracefs on a live system, a folder of fixtures in tests.
public protocol TracepointCatalog: Sendable {
  func format(category: String, event: String) -> TracepointFormat?
  /// Every tracepoint whose category and event match the patterns, sorted.
  func tracepoints(category: String, event: String) -> [(category: String, event: String)]
}

/// Reads `ROOT/events/CATEGORY/EVENT/format`; ROOT is /sys/kernel/tracing, or debugfs's tracing folder.
public struct TracefsCatalog: TracepointCatalog {
  public let roots: [String]

  public init(roots: [String] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]) { self.roots = roots }

  public func tracepoints(category: String, event: String) -> [(category: String, event: String)] {
    for root in roots {
      guard let categories = directoryEntries("\(root)/events") else { continue }
      var result: [(category: String, event: String)] = []
      for c in categories.sorted() where wildcardMatch(category, c) {
        let events = directoryEntries("\(root)/events/\(c)") ?? []
        for e in events.sorted() where wildcardMatch(event, e) && fileExists("\(root)/events/\(c)/\(e)/format") {
          result.append((c, e))
        }
      }
      return result
    }
    return []
  }

  public func format(category: String, event: String) -> TracepointFormat? {
    for root in roots {
      let path = "\(root)/events/\(category)/\(event)/format"
      if let text = readWholeFile(path) { return TracepointFormat.parse(text) }
    }
    return nil
  }

  /// Whether any root is a mounted tracefs at all, to tell "no such tracepoint" from "no tracefs".
  public var isAvailable: Bool {
    roots.contains { fileExists("\($0)/events") }
  }
}
