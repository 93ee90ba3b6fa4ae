import CLibDW

/// Function symbols of a binary that its own symbol tables lack: the `.symtab` of its separate
/// debug file (found by build id under /usr/lib/debug/.build-id, or by `.gnu_debuglink`) or its
/// MiniDebugInfo (`.gnu_debugdata`), as elfutils' libdwfl finds them. What turns a libc frame
/// into `__libc_start_call_main+122`.
public enum DebugSymbols {
  public struct Function: Sendable {
    /// The link-time address (st_value), as the file's own symbols have it.
    public let address: UInt64
    public let size: UInt64
    public let name: String
  }

  /// Every function symbol libdwfl finds for the file at `path` (its own `.dynsym` included);
  /// nil when the file cannot be opened.
  public static func functions(of path: String) -> [Function]? {
    guard let dwfl = swr_dwfl_open_offline(path) else { return nil }
    defer { dwfl_end(dwfl) }
    guard let module = swr_dwfl_first_module(dwfl) else { return nil }
    let count = dwfl_module_getsymtab(module)
    guard count > 0 else { return nil }
    var result: [Function] = []
    for i in 0..<count {
      var symbol = GElf_Sym()
      var address: GElf_Addr = 0
      guard let name = dwfl_module_getsym_info(module, i, &symbol, &address, nil, nil, nil) else { continue }
      // STT_FUNC (2), defined here (a value).
      guard symbol.st_info & 0xf == 2, symbol.st_value != 0 else { continue }
      result.append(Function(address: symbol.st_value, size: symbol.st_size, name: String(cString: name)))
    }
    return result
  }
}
