import Glibc
import SwiftraceBasics
import SwiftraceSyntax

/// `import "path";` (bpftrace 0.24 and later): bpftrace scripts (`.bt`, `.st`) whose macros, map
/// declarations and probes join the program; a directory imports those it holds. A path is taken
/// relative to the directory of the script that imports it (the current directory for `-e`).
/// Imported files may import others; each file is read once, whatever imports it again.
extension Compilation {
  /// The files `program` imports, and those they import, in the order they are first named.
  func importedFiles(of program: Program) throws(CompileFailure) -> [(name: String, text: String)] {
    var seen: Set<String> = [realPath(source.name) ?? source.name]
    var files: [(name: String, text: String)] = []
    var pending: [(importing: String, item: Import, in: SourceFile)] = program.imports.map { (source.name, $0, source) }
    while !pending.isEmpty {
      let (importing, item, file) = pending.removeFirst()
      for path in try resolve(item, from: importing, in: file) {
        let key = realPath(path) ?? path
        guard seen.insert(key).inserted else { continue }
        inputPaths.insert(path)
        guard let text = readTextFile(path) else {
          throw located(item, in: file, "cannot read imported file '\(path)': \(String(cString: strerror(errno)))")
        }
        files.append((path, text))
        // Its own imports, found by parsing it alone (its errors show when the whole is parsed).
        let own = SourceFile(name: path, text: text)
        let scratch = DiagnosticEngine(source: own)
        pending += Parser.parse(own, diagnostics: scratch).imports.map { (path, $0, own) }
      }
    }
    return files
  }

  /// The files an import names: the file, or the scripts of a directory in name order.
  private func resolve(_ item: Import, from importing: String, in file: SourceFile) throws(CompileFailure) -> [String] {
    let base = importing == "<command-line>" || importing == "-" ? "." : directory(of: importing)
    let path = item.path.hasPrefix("/") ? item.path : base + "/" + item.path
    var info = stat()
    guard stat(path, &info) == 0 else { throw located(item, in: file, "imported file '\(item.path)' not found (looked for \(path))") }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      guard info.st_mode & S_IWOTH == 0 else {
        throw located(item, in: file, "refusing to import from '\(item.path)': anyone may write to it")
      }
      inputPaths.insert(path)  // a file added to it changes what it imports
      return directoryEntries(path).filter { $0.hasSuffix(".bt") || $0.hasSuffix(".st") }.sorted().map { path + "/" + $0 }
    }
    guard path.hasSuffix(".bt") || path.hasSuffix(".st") else {
      throw located(item, in: file, "only bpftrace scripts (.bt, .st) can be imported; '\(item.path)' is not one")
    }
    return [path]
  }

  private func located(_ item: Import, in file: SourceFile, _ message: String) -> CompileFailure {
    if file === source {
      diagnostics.error(.importProblem(message), at: item.range)
      return .diagnostics
    }
    let (line, column) = file.lineAndColumn(of: item.range.start)
    return .system("\(file.name):\(line):\(column): \(message)")
  }

  private func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  private func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  private func readTextFile(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, f)
      if n <= 0 { break }
      bytes += buffer[0..<n]
      if bytes.count > 16 << 20 { return nil }  // no script is that large
    }
    return String(rawBytes: bytes)
  }

  private func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }
}
