import Glibc
import SwiftraceBPF
import SwiftraceDebugInfo
import SwiftraceRuntime
import SwiftraceSema

/// The checker's questions answered for the machine swiftrace runs on: /proc/kallsyms, the ELF
/// files (symbols, USDT notes) of the programs and libraries attach points name, resolved as the
/// `-p` process sees them, and the cgroup file system.
struct ThisMachine: MachineFacts {
  /// `-p PID`: names are resolved in its mount namespace, and an empty usdt target is its files.
  let targetPID: Int32?
  /// BPFTRACE_NO_CPP_DEMANGLE=1 keeps C++ names mangled, in `func` and in printed symbols alike.
  let demanglesNames: Bool

  func kernelSymbolAddress(_ name: String) -> UInt64? { Symbolizer.kernelAddress(of: name) }
  func kernelFunctions(matching pattern: String) -> [String] { Symbolizer.kernelFunctions(matching: pattern) }
  func sourceLineAddresses(file: String, line: Int, column: Int?, in path: String) -> [UInt64]? {
    SourceLines.addresses(file: file, line: line, column: column, in: path)
  }
  /// A loaded module has a directory in /sys/module with sections (built-in ones have none).
  func kernelModuleLoaded(_ name: String) -> Bool { access("/sys/module/\(name)/sections", F_OK) == 0 }
  func bpfProgramFunctions() -> [BPFProgramFunction] {
    RunningPrograms.functions().map { BPFProgramFunction(programID: $0.programID, name: $0.name, parameters: $0.parameters) }
  }
  func resolveUserBinary(_ target: String) -> String? { UserBinaries.resolve(target, pid: targetPID) }
  func expandUserBinary(_ target: String) -> [String]? { UserBinaries.expand(target, pid: targetPID) }
  var readsUserBinaries: Bool { true }
  func userFunctions(in path: String) -> [String]? { UserBinaries.functions(in: path) }
  func userFileMayHaveFunction(_ name: String, in path: String) -> Bool { UserBinaries.mayHaveFunction(name, in: path) }
  func userFunctionSize(_ name: String, in path: String) -> UInt64? { UserBinaries.functionSize(name, in: path) }
  func userAddressIsCode(_ address: UInt64, in path: String) -> Bool { UserBinaries.isCode(address, in: path) }
  func usdtSites(in path: String) -> [USDTSite]? { UserBinaries.usdtSites(in: path) }
  func demangle(_ name: String) -> String { demanglesNames ? Symbolizer.demangle(name) : name }
  func userDataSymbol(_ name: String, function: String?, in path: String)
    -> (address: UInt64, size: UInt64, functionAddress: UInt64?, positionIndependent: Bool)? {
    UserBinaries.dataSymbol(name, function: function, in: path)
  }
  func filesToList(matching pattern: String) -> [String] {
    if let pid = targetPID {
      // `./prog` names the process's `/abs/path/prog`: compared by file name.
      let name = pattern.split(separator: "/").last.map { "/" + $0 }
      return UserBinaries.mappedFiles(pid: pid).filter { path in
        pattern.isEmpty || wildcardMatch(pattern, path) || name.map { path.hasSuffix($0) } == true
      }
    }
    guard pattern != "*", !pattern.isEmpty else { return [] }
    return UserBinaries.expand(pattern, pid: nil)
  }
  func cgroupID(_ path: String) -> UInt64? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
    return UInt64(st.st_ino)
  }
}
