import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceRuntime
import SwiftraceSema

/// A compiled script in one file: what `swiftrace --aot OUT SCRIPT` writes and `swiftrace-run`
/// runs, on a machine without LLVM or libclang. The compile cache keeps its entries in the same
/// form.
///
///     #!/usr/bin/env swiftrace-run          (so that a built tool is a command of its own)
///     swiftrace artefact 1                  (the format's version)
///     <8 bytes: payload length> <8 bytes: FNV-1a of the payload>
///     <payload: Artefact.Contents in BinaryCoding>
///
/// A file that is not one, or that was cut short or changed, is refused with the reason; a
/// damaged file is never run.
public struct Artefact: Codable, Sendable {
  /// The swiftrace that compiled it.
  public let swiftraceVersion: String
  /// The kernel it was compiled on (`uname -r`), for messages.
  public let builtOnKernel: String
  public let plan: RunPlan
  /// For an entry of the compile cache: what it was compiled from; nil in an artefact.
  public let cacheRecord: CacheRecord?

  public init(swiftraceVersion: String, builtOnKernel: String, plan: RunPlan, cacheRecord: CacheRecord? = nil) {
    self.swiftraceVersion = swiftraceVersion
    self.builtOnKernel = builtOnKernel
    self.plan = plan
    self.cacheRecord = cacheRecord
  }

  /// What a cache entry was compiled from besides its key: the files the compiler read, as they
  /// were then, and the warnings it printed (printed again when the entry is used).
  public struct CacheRecord: Codable, Sendable {
    public let key: String
    public let inputs: [FileIdentity]
    public let warnings: String

    public init(key: String, inputs: [FileIdentity], warnings: String) {
      self.key = key
      self.inputs = inputs
      self.warnings = warnings
    }
  }

  static let shebang = "#!/usr/bin/env swiftrace-run\n"
  static let magic = "swiftrace artefact "
  /// Bumped whenever RunPlan or anything in it changes shape: an older artefact is refused with
  /// a clear message rather than misread.
  public static let formatVersion = 4

  public struct Failure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  /// The file's bytes.
  public func encoded() throws -> [UInt8] {
    let payload = try BinaryCoding.encode(self)
    var out = Array((Self.shebang + Self.magic + "\(Self.formatVersion)\n").utf8)
    out += withUnsafeBytes(of: UInt64(payload.count).littleEndian, Array.init)
    out += withUnsafeBytes(of: fnv1a(payload).littleEndian, Array.init)
    out += payload
    return out
  }

  /// The artefact in BYTES; NAME says which file in errors.
  public static func decode(_ bytes: [UInt8], name: String) throws(Failure) -> Artefact {
    var at = 0
    if bytes.starts(with: shebang.utf8) { at = shebang.utf8.count }
    guard let newline = bytes[at...].firstIndex(of: UInt8(ascii: "\n")),
      let header = String(validating: bytes[at..<newline], as: UTF8.self), header.hasPrefix(magic) else {
      throw Failure("'\(name)' is not a swiftrace artefact (make one with swiftrace --aot FILE SCRIPT)")
    }
    guard let version = Int(header.dropFirst(magic.count)), version == formatVersion else {
      throw Failure("'\(name)' is an artefact of format \(header.dropFirst(magic.count)), and this swiftrace reads format \(formatVersion): compile the script again with this swiftrace")
    }
    at = newline + 1
    guard bytes.count - at >= 16 else { throw Failure("'\(name)' is damaged: it ends in its header") }
    let length = word(bytes, at), checksum = word(bytes, at + 8)
    at += 16
    guard length == UInt64(bytes.count - at) else {
      throw Failure("'\(name)' is damaged: it holds \(bytes.count - at) bytes of the \(length) it was written with")
    }
    let payload = Array(bytes[at...])
    guard fnv1a(payload) == checksum else { throw Failure("'\(name)' is damaged: its checksum does not match its contents") }
    do {
      return try BinaryCoding.decode(Artefact.self, from: payload)
    } catch {
      throw Failure("'\(name)' is damaged: \(error)")
    }
  }

  /// Writes the artefact to PATH whole or not at all (a temporary file renamed over it), executable
  /// by default.
  public func write(to path: String, mode: mode_t = 0o755) throws(Failure) {
    let bytes: [UInt8]
    do { bytes = try encoded() } catch { throw Failure("cannot encode the artefact: \(error)") }
    try writeAtomically(bytes, to: path, mode: mode)
  }

  /// Reads the artefact at PATH.
  public static func read(from path: String) throws(Failure) -> Artefact {
    guard let file = PosixFile(path: path), let bytes = file.readToEnd() else {
      throw Failure("cannot read '\(path)': \(errorString(errno))")
    }
    return try decode(bytes, name: path)
  }
}

private func word(_ bytes: [UInt8], _ at: Int) -> UInt64 {
  (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
}

/// FNV-1a, 64 bits: finds accidental damage (a cut, a flipped byte), not tampering; an artefact
/// is trusted as much as the file permissions that guard it.
public func fnv1a(_ bytes: [UInt8], basis: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
  var hash = basis
  for b in bytes {
    hash ^= UInt64(b)
    hash = hash &* 0x100_0000_01b3
  }
  return hash
}

/// BYTES as the file PATH, written to a temporary file beside it and renamed over it: a reader
/// sees the old file or the new one, never half of one.
func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws(Artefact.Failure) {
  let temporary = path + ".tmp.\(getpid())"
  let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
  guard fd >= 0 else { throw Artefact.Failure("cannot write '\(path)': \(errorString(errno))") }
  var written = 0
  while written < bytes.count {
    let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { break }
    written += n
  }
  let failure = errno
  let synced = fsync(fd) == 0
  close(fd)
  guard written == bytes.count, synced, rename(temporary, path) == 0 else {
    unlink(temporary)
    throw Artefact.Failure("cannot write '\(path)': \(errorString(written < bytes.count ? failure : errno))")
  }
}

/// A file as stat(2) sees it: the same path with the same device, inode, size and modification
/// time is taken to hold the same bytes (what make and ccache's direct mode assume too).
public struct FileIdentity: Codable, Sendable, Equatable {
  public let path: String
  public let device: UInt64
  public let inode: UInt64
  public let size: Int64
  public let modified: Int64

  /// PATH now; nil when it does not exist.
  public init?(path: String) {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    self.path = path
    device = UInt64(st.st_dev)
    inode = UInt64(st.st_ino)
    size = Int64(st.st_size)
    modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
  }

  /// Whether the file is still as it was.
  public var isUnchanged: Bool { FileIdentity(path: path) == self }
}
