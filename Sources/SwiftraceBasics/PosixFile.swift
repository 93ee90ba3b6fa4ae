import Glibc

/// A file opened read-only for reads at offsets. The runtime reads files this way rather than
/// through Foundation's FileHandle, so that a run maps neither Foundation nor its ICU data.
public final class PosixFile {
  private let fd: Int32
  private let owned: Bool

  public init?(path: String) {
    fd = path.withRawCString { open($0, O_RDONLY | O_CLOEXEC) }
    owned = fd >= 0  // a failed init still runs deinit, which must leave errno alone
    if fd < 0 { return nil }
  }

  private init(descriptor: Int32, owned: Bool) {
    fd = descriptor
    self.owned = owned
  }

  /// Takes over `descriptor` (closed with this object).
  public static func adopting(_ descriptor: Int32) -> PosixFile { PosixFile(descriptor: descriptor, owned: true) }
  public static var standardInput: PosixFile { PosixFile(descriptor: 0, owned: false) }

  deinit { if owned { close(fd) } }

  /// Up to `count` bytes from `offset` (fewer at the end of the file, none on an error).
  public func read(at offset: UInt64, count: Int) -> [UInt8] {
    // An offset from a file's own headers may be anything: past off_t, it is past the end.
    guard count > 0, count <= 1 << 30, let start = off_t(exactly: offset), start <= .max - off_t(count) else { return [] }
    var bytes = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, start + off_t(done)) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      done += n
    }
    return Array(bytes[0..<done])
  }

  /// The whole rest of a pipe or file, read sequentially (/proc files report a size of 0, so
  /// readers that trust the size get nothing); nil on an error (errno tells which).
  public func readToEnd() -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { return nil }
      if n == 0 { return bytes }
      bytes += chunk[0..<n]
    }
  }

}

/// The text of the file at `path`, read to its end; nil if it cannot be opened or read.
public func readWholeFile(_ path: String) -> String? {
  PosixFile(path: path)?.readToEnd().map { String(decoding: $0, as: UTF8.self) }
}

/// The names in the directory at `path` (without `.` and `..`), unsorted; nil if it cannot be read.
public func directoryEntries(_ path: String) -> [String]? {
  guard let dir = path.withRawCString({ opendir($0) }) else { return nil }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  return names
}

/// The process's environment, read from `environ` (without Foundation's ProcessInfo).
public func environmentVariables() -> [String: String] {
  var result: [String: String] = [:]
  var entry = environ
  while let pointer = entry.pointee {
    let text = String(cString: pointer)
    if let equals = text.firstIndex(of: "=") {
      result[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    entry += 1
  }
  return result
}

/// Whether anything exists at `path`.
public func fileExists(_ path: String) -> Bool {
  path.withRawCString { access($0, F_OK) } == 0
}

/// Bytes as lower-case hex, two digits each (build ids).
public func hexDigits(_ bytes: some Sequence<UInt8>) -> String {
  let digits = Array("0123456789abcdef")
  var text = ""
  for b in bytes { text.append(digits[Int(b >> 4)]); text.append(digits[Int(b & 15)]) }
  return text
}
