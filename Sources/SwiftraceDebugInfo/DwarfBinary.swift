import CLibDW

/// One binary's DWARF, open for as long as its DIEs are in use, with an index of the functions and
/// types its compilation units define (namespaces included), built on first use.
final class Binary {
  private let dwfl: OpaquePointer
  private var units: [Dwarf_Die] = []
  private var functions: [String: Dwarf_Die] = [:]
  private var types: [TypeKey: Dwarf_Die] = [:]
  private var indexed = false

  struct TypeKey: Hashable {
    let tag: Int
    let name: String
  }

  /// nil if the file cannot be opened or has no DWARF (there or in a separate debug file).
  init?(path: String) {
    guard let dwfl = swr_dwfl_open_offline(path) else { return nil }
    self.dwfl = dwfl
    var bias: Dwarf_Addr = 0
    var unit = dwfl_nextcu(dwfl, nil, &bias)
    while let current = unit {
      units.append(current.pointee)
      unit = dwfl_nextcu(dwfl, current, &bias)
    }
    if units.isEmpty { return nil }  // deinit ends the session: every property is set by now
  }

  deinit { dwfl_end(dwfl) }

  /// The compilation units' DIEs.
  var compilationUnits: [Dwarf_Die] { units }

  /// A function's DIE, by name or by linkage (mangled) name; a definition with code first.
  func function(named name: String) -> Dwarf_Die? {
    buildIndex()
    return functions[name]
  }

  /// The definition (not a declaration) of a struct, class or union named `name`.
  func definition(named name: String, tag: Int) -> Dwarf_Die? {
    buildIndex()
    return types[TypeKey(tag: tag, name: name)]
  }

  var recordNames: [String] {
    buildIndex()
    return types.keys.map(\.name)
  }

  private func buildIndex() {
    guard !indexed else { return }
    indexed = true
    for var unit in units { index(children: &unit) }
  }

  private func index(children parent: inout Dwarf_Die) {
    for var die in DIE.children(of: &parent) {
      let tag = Int(dwarf_tag(&die))
      switch tag {
      case DW_TAG_namespace:
        index(children: &die)
      case DW_TAG_subprogram:
        guard dwarf_hasattr(&die, UInt32(DW_AT_declaration)) == 0 else { continue }
        let hasCode = dwarf_hasattr(&die, UInt32(DW_AT_low_pc)) != 0 || dwarf_hasattr(&die, UInt32(DW_AT_ranges)) != 0
        for key in [DIE.name(&die), DIE.linkageName(&die)].compactMap({ $0 }) {
          if var known = functions[key], dwarf_hasattr(&known, UInt32(DW_AT_low_pc)) != 0 || !hasCode { continue }
          functions[key] = die
        }
      case DW_TAG_structure_type, DW_TAG_class_type, DW_TAG_union_type:
        guard dwarf_hasattr(&die, UInt32(DW_AT_declaration)) == 0, let name = DIE.name(&die) else { continue }
        let key = TypeKey(tag: tag == DW_TAG_class_type ? DW_TAG_structure_type : tag, name: name)
        if types[key] == nil { types[key] = die }
      default:
        break
      }
    }
  }
}

/// Small readers over libdw's DIE calls.
enum DIE {
  static func name(_ die: inout Dwarf_Die) -> String? {
    dwarf_diename(&die).map { String(cString: $0) }
  }

  static func linkageName(_ die: inout Dwarf_Die) -> String? {
    var attr = Dwarf_Attribute()
    guard dwarf_attr_integrate(&die, UInt32(DW_AT_linkage_name), &attr) != nil else { return nil }
    return dwarf_formstring(&attr).map { String(cString: $0) }
  }

  /// The DIE of the `DW_AT_type` attribute; nil for void.
  static func type(of die: inout Dwarf_Die) -> Dwarf_Die? {
    var result = Dwarf_Die()
    return swr_dwarf_ref(&die, UInt32(DW_AT_type), &result) == 0 ? result : nil
  }

  static func children(of die: inout Dwarf_Die, tag: Int? = nil) -> [Dwarf_Die] {
    var result: [Dwarf_Die] = []
    var child = Dwarf_Die()
    guard dwarf_child(&die, &child) == 0 else { return [] }
    var next = Dwarf_Die()
    while true {
      if tag == nil || Int(dwarf_tag(&child)) == tag { result.append(child) }
      guard dwarf_siblingof(&child, &next) == 0 else { break }
      child = next
    }
    return result
  }

  /// A type as bpftrace's `-lv` spells it: `int`, `char*`, `struct Foo*`, `const char*`.
  static func typeName(_ die: Dwarf_Die) -> String {
    var die = die
    let tag = Int(dwarf_tag(&die))
    switch tag {
    case DW_TAG_base_type, DW_TAG_typedef:
      return name(&die) ?? "<unknown type>"
    case DW_TAG_pointer_type:
      return (type(of: &die).map(typeName) ?? "void") + "*"
    case DW_TAG_structure_type, DW_TAG_class_type, DW_TAG_union_type, DW_TAG_enumeration_type:
      let prefix = tag == DW_TAG_union_type ? "union " : tag == DW_TAG_enumeration_type ? "enum " : "struct "
      return prefix + (name(&die) ?? "<anonymous>")
    case DW_TAG_const_type:
      guard var inner = type(of: &die) else { return "const void" }
      return Int(dwarf_tag(&inner)) == DW_TAG_pointer_type ? typeName(inner) + " const" : "const " + typeName(inner)
    case DW_TAG_volatile_type:
      return "volatile " + (type(of: &die).map(typeName) ?? "void")
    default:
      return "<unknown type>"
    }
  }
}

/// Statements of a source file in a binary's DWARF line tables: where `uprobe:BIN@FILE:LINE`
/// attaches (bpftrace 0.24 and later).
public enum SourceLines {
  /// The addresses (the ELF's own, unbiased) of the statements that begin at LINE (and COLUMN,
  /// when given) of a source file whose path ends with FILE; nil when the binary has no DWARF.
  public static func addresses(file: String, line: Int, column: Int?, in path: String) -> [UInt64]? {
    guard let binary = Binary(path: path) else { return nil }
    return binary.statementAddresses(file: file, line: line, column: column)
  }
}

/// Where an address of a binary is in its source, from the DWARF line tables (the binary's own
/// or its separate debug file's): what `show_debug_info` adds to stack frames. One per file,
/// opened once and kept.
public final class LineTable {
  private let binary: Binary
  private var found: [UInt64: (file: String, line: Int)?] = [:]

  /// nil when the file has no DWARF.
  public init?(path: String) {
    guard let binary = Binary(path: path) else { return nil }
    self.binary = binary
  }

  /// The source file (absolute where the unit's directory says it) and line of the instruction
  /// at ADDRESS (a link-time address, as the ELF's symbols have them); nil where no unit covers it.
  public func location(at address: UInt64) -> (file: String, line: Int)? {
    if let known = found[address] { return known }
    var result: (file: String, line: Int)?
    for var unit in binary.compilationUnits where dwarf_haspc(&unit, address) == 1 {
      guard let entry = dwarf_getsrc_die(&unit, address), let source = dwarf_linesrc(entry, nil, nil) else { continue }
      var number: Int32 = 0
      guard dwarf_lineno(entry, &number) == 0 else { continue }
      var file = String(cString: source)
      if !file.hasPrefix("/") {
        var attribute = Dwarf_Attribute()
        if dwarf_attr(&unit, UInt32(DW_AT_comp_dir), &attribute) != nil, let directory = dwarf_formstring(&attribute) {
          file = String(cString: directory) + "/" + file
        }
      }
      result = (file, Int(number))
      break
    }
    found[address] = result
    return result
  }
}

extension Binary {
  func statementAddresses(file: String, line: Int, column: Int?) -> [UInt64] {
    var found: Set<UInt64> = []
    for var unit in compilationUnits {
      var lines: OpaquePointer?
      var count = 0
      guard dwarf_getsrclines(&unit, &lines, &count) == 0, let lines else { continue }
      for i in 0..<count {
        guard let entry = dwarf_onesrcline(lines, i) else { continue }
        var number: Int32 = 0, col: Int32 = 0, isStatement = false
        var address: Dwarf_Addr = 0
        guard dwarf_lineno(entry, &number) == 0, Int(number) == line,
          dwarf_linebeginstatement(entry, &isStatement) == 0, isStatement,
          let source = dwarf_linesrc(entry, nil, nil), Self.sameFile(String(cString: source), file),
          dwarf_lineaddr(entry, &address) == 0 else { continue }
        if let column, dwarf_linecol(entry, &col) == 0, Int(col) != column { continue }
        found.insert(address)
      }
    }
    return found.sorted()
  }

  /// `readline.c` names `/src/bash/lib/readline/readline.c`: the same file, or a path ending with it.
  static func sameFile(_ source: String, _ wanted: String) -> Bool {
    source == wanted || source.hasSuffix("/" + wanted)
  }
}
