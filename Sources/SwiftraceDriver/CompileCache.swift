import Glibc
import SwiftraceBasics
import SwiftraceRunner
import SwiftraceRuntime
import SwiftraceSema

/// Compiled programs kept between runs: running the same script again on the same kernel with the
/// same options loads the program compiled last time, without parsing, checking or LLVM.
///
/// An entry is an artefact file named by its key, a hash of everything the compiled program is a
/// function of that is known before compiling: the script, the options and environment that
/// change code, this swiftrace executable, and the running kernel (its release and this boot,
/// which also fixes its BTF, tracefs formats and symbol addresses). What only compiling finds out,
/// the files it read (imports, probed binaries, cgroups), the entry lists with their identity and
/// is used only while they are unchanged. An entry that is damaged, of another format, or whose
/// files changed is compiled again and replaced, never trusted.
public struct CompileCache {
  public let directory: String

  /// The cache for this user: SWIFTRACE_CACHE_DIR, else $XDG_CACHE_HOME/swiftrace, else
  /// ~/.cache/swiftrace. Nil when there is none that is safe to use: its entries are loaded into
  /// the kernel, so the directory must be this user's own and writable by nobody else.
  public static func forThisUser(environment: [String: String]) -> CompileCache? {
    let directory: String
    if let dir = environment["SWIFTRACE_CACHE_DIR"], !dir.isEmpty {
      directory = dir
    } else if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
      directory = xdg + "/swiftrace"
    } else if let home = environment["HOME"], home.hasPrefix("/") {
      directory = home + "/.cache/swiftrace"
    } else {
      return nil
    }
    var st = stat()
    if stat(directory, &st) != 0 {
      // Its parents as mkdir -p makes them, the cache itself for this user alone.
      var path = ""
      for part in directory.split(separator: "/") {
        path += "/" + part
        _ = mkdir(path, path == directory ? 0o700 : 0o755)
      }
      guard stat(directory, &st) == 0 else { return nil }
    }
    guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(), st.st_mode & 0o022 == 0 else { return nil }
    return CompileCache(directory: directory)
  }

  /// The key of a compilation: 32 hex digits.
  public static func key(source: SourceFile, configuration: Configuration, tracefsRoots: [String]?) -> String {
    var material: [UInt8] = Array("swiftrace compile cache \(Artefact.formatVersion) \(swiftraceVersion)\n".utf8)
    // This executable: another build of the same version compiles differently.
    if let me = FileIdentity(path: "/proc/self/exe") {
      material += Array("\(me.device) \(me.inode) \(me.size) \(me.modified)\n".utf8)
    }
    // This kernel, as booted: its BTF and formats, and the addresses of its symbols (KASLR).
    material += Array((readWholeFile("/proc/sys/kernel/random/boot_id") ?? "").utf8)
    material += Array("\(SystemInfo.kernelRelease)\n".utf8)
    var cwd = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    if getcwd(&cwd, cwd.count) != nil { material += Array(String(cString: cwd).utf8) + [0] }
    material += Array(source.name.utf8) + [0] + source.bytes + [0]
    material += Array((tracefsRoots ?? []).joined(separator: "\0").utf8) + [0]
    // The configuration without what only changes how the run prints, and without the positional
    // parameters, which the entry's plan checks (most are values the run sets; ParameterLayout).
    var compiled = configuration
    compiled.positionalParameters = []
    compiled.format = .text
    compiled.buffering = nil
    compiled.quiet = false
    compiled.verbose = false
    material += (try? BinaryCoding.encode(compiled)) ?? []
    return hex(fnv1a(material, basis: 0xcbf2_9ce4_8422_2325)) + hex(fnv1a(material, basis: 0x6c62_272e_07bb_0142))
  }

  func path(of key: String) -> String { directory + "/" + key + ".entry" }

  /// The entry for KEY when it may be used: intact, of this format, made for this key, its
  /// files unchanged, and this user's own.
  public func lookup(_ key: String) -> Artefact? {
    let path = path(of: key)
    var st = stat()
    guard stat(path, &st) == 0, st.st_uid == geteuid(), st.st_mode & 0o022 == 0,
      let artefact = try? Artefact.read(from: path), let record = artefact.cacheRecord, record.key == key,
      artefact.swiftraceVersion == swiftraceVersion, record.inputs.allSatisfy(\.isUnchanged) else { return nil }
    // Used now: the last entries pruning removes (it goes by modification time).
    _ = utimensat(AT_FDCWD, path, nil, 0)
    return artefact
  }

  /// Entries kept at most; storing one more removes the least recently used.
  static let maxEntries = 256

  /// Removes the least recently used entries past `maxEntries`.
  func prune() {
    guard let dir = opendir(directory) else { return }
    var entries: [(name: String, used: Int)] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      var st = stat()
      guard name.hasSuffix(".entry"), stat(directory + "/" + name, &st) == 0 else { continue }
      entries.append((name, st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec))
    }
    closedir(dir)
    guard entries.count > Self.maxEntries else { return }
    for old in entries.sorted(by: { $0.used < $1.used }).prefix(entries.count - Self.maxEntries) {
      unlink(directory + "/" + old.name)
    }
  }

  /// Keeps PLAN under KEY; INPUTS are the files the compilation read, WARNINGS what it printed.
  /// Failing to write the entry only costs the next run its head start: it is not an error.
  public func store(_ plan: RunPlan, key: String, inputs: Set<String>, warnings: String) -> Bool {
    let identities = inputs.sorted().compactMap(FileIdentity.init(path:))
    guard identities.count == inputs.count else { return false }  // a file already gone
    let record = Artefact.CacheRecord(key: key, inputs: identities, warnings: warnings)
    let artefact = Artefact(swiftraceVersion: swiftraceVersion, builtOnKernel: SystemInfo.kernelRelease, plan: plan,
                            cacheRecord: record)
    do { try artefact.write(to: path(of: key), mode: 0o600) } catch { return false }
    prune()
    return true
  }

  private static func hex(_ v: UInt64) -> String {
    let digits = String(v, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}

/// The machine as the checker asks about it, with the files its answers came from written down:
/// a cache entry is valid while they are unchanged. Questions whose answers change without any
/// file changing (loaded modules, running BPF programs, a process's mappings) make the
/// compilation one the cache does not keep.
final class RecordingMachine: MachineFacts, @unchecked Sendable {
  let base: any MachineFacts
  /// Asked and answered on the checker's one thread; read after it has finished.
  private(set) var paths: Set<String> = []
  private(set) var volatileQuestion: String?

  init(_ base: any MachineFacts) { self.base = base }

  private func read(_ path: String?) {
    if let path { paths.insert(path) }
  }

  func kernelSymbolAddress(_ name: String) -> UInt64? { base.kernelSymbolAddress(name) }
  func kernelFunctions(matching pattern: String) -> [String] { base.kernelFunctions(matching: pattern) }
  func kernelModuleLoaded(_ name: String) -> Bool {
    volatileQuestion = "it asks which kernel modules are loaded"
    return base.kernelModuleLoaded(name)
  }
  func resolveUserBinary(_ target: String) -> String? {
    let path = base.resolveUserBinary(target)
    read(path)
    return path
  }
  func expandUserBinary(_ target: String) -> [String]? {
    // Every running process's files (`uprobe:*:fn`), or a wildcard's matches: what matches can
    // change without any file the entry could list changing.
    volatileQuestion = "its attach points name files by pattern or by process"
    return base.expandUserBinary(target)
  }
  var readsUserBinaries: Bool { base.readsUserBinaries }
  func userFunctions(in path: String) -> [String]? {
    read(path)
    return base.userFunctions(in: path)
  }
  func userFileMayHaveFunction(_ name: String, in path: String) -> Bool {
    read(path)
    return base.userFileMayHaveFunction(name, in: path)
  }
  func userFunctionSize(_ name: String, in path: String) -> UInt64? {
    read(path)
    return base.userFunctionSize(name, in: path)
  }
  func userAddressIsCode(_ address: UInt64, in path: String) -> Bool {
    read(path)
    return base.userAddressIsCode(address, in: path)
  }
  func usdtSites(in path: String) -> [USDTSite]? {
    read(path)
    return base.usdtSites(in: path)
  }
  func demangle(_ name: String) -> String { base.demangle(name) }
  func userDataSymbol(_ name: String, function: String?, in path: String)
    -> (address: UInt64, size: UInt64, functionAddress: UInt64?, positionIndependent: Bool)? {
    read(path)
    return base.userDataSymbol(name, function: function, in: path)
  }
  func sourceLineAddresses(file: String, line: Int, column: Int?, in path: String) -> [UInt64]? {
    read(path)
    return base.sourceLineAddresses(file: file, line: line, column: column, in: path)
  }
  func cgroupID(_ path: String) -> UInt64? {
    read(path)
    return base.cgroupID(path)
  }
  func filesToList(matching pattern: String) -> [String] {
    volatileQuestion = "it lists files"
    return base.filesToList(matching: pattern)
  }
  func bpfProgramFunctions() -> [BPFProgramFunction] {
    volatileQuestion = "it probes running BPF programs"
    return base.bpfProgramFunctions()
  }
}
