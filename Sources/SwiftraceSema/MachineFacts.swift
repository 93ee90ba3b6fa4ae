/// What the checker asks of the machine it compiles for, in one place: kernel symbols and
/// functions, the user binaries attach points name (their files, functions, data symbols, USDT
/// sites), cgroups and C++ names. The driver answers for this machine; tests and the fuzzer use
/// `UnknownMachine`, which knows nothing and takes names as written (the defaults below).
public protocol MachineFacts: Sendable {
  /// `kaddr("name")`: the kernel's symbol table (/proc/kallsyms).
  func kernelSymbolAddress(_ name: String) -> UInt64?
  /// Kernel functions matching a wildcard, for `kprobe:vfs_*`.
  func kernelFunctions(matching pattern: String) -> [String]
  /// Whether a kernel module of this name is loaded (`kprobe:MODULE:function`).
  func kernelModuleLoaded(_ name: String) -> Bool
  /// The file a program or library name stands for.
  func resolveUserBinary(_ target: String) -> String?
  /// Every file a usdt target stands for: the -p process's files for an empty one, the matches of
  /// a wildcard path; nil to use `resolveUserBinary`.
  func expandUserBinary(_ target: String) -> [String]?
  /// Whether user binaries are read at all: without that, their functions are taken as written.
  var readsUserBinaries: Bool { get }
  /// The function symbols of the file at `path`; nil when it is not an ELF file.
  func userFunctions(in path: String) -> [String]?
  /// Whether the file at `path` may have function `name` (a plain C name): false only when its
  /// symbol table says no, which is quicker to learn than every function it has.
  func userFileMayHaveFunction(_ name: String, in path: String) -> Bool
  /// The size of function `name` in the file at `path`: `func+OFFSET` is checked against it.
  func userFunctionSize(_ name: String, in path: String) -> UInt64?
  /// Whether an address lies in some function of the file at `path`.
  func userAddressIsCode(_ address: UInt64, in path: String) -> Bool
  /// The USDT sites of an ELF file (nil when it cannot be read); without them, usdt probes are errors.
  func usdtSites(in path: String) -> [USDTSite]?
  /// C++ names as `func` prints them in uprobes.
  func demangle(_ name: String) -> String
  /// `uaddr(name)` in a binary: (address, size, address of the probed function, PIE).
  func userDataSymbol(_ name: String, function: String?, in path: String)
    -> (address: UInt64, size: UInt64, functionAddress: UInt64?, positionIndependent: Bool)?
  /// `uprobe:BIN@FILE:LINE[:COLUMN]`: the addresses of the statements there, from the binary's
  /// DWARF line tables; nil when it has none.
  func sourceLineAddresses(file: String, line: Int, column: Int?, in path: String) -> [UInt64]?
  /// `cgroupid(path)`: the id of a cgroup directory (its inode number).
  func cgroupID(_ path: String) -> UInt64?
  /// `-l`: the files whose user probes a listing's file part names (with -p, the process's files
  /// it matches; a bare `*` without -p names none: every file on the machine would be too many).
  func filesToList(matching pattern: String) -> [String]
  /// The functions of the BPF programs running here (`fentry:bpf:[ID:]NAME`).
  func bpfProgramFunctions() -> [BPFProgramFunction]
}

/// A function of a running BPF program: its main function or a subprogram, by its BTF name.
public struct BPFProgramFunction: Hashable, Sendable {
  public let programID: UInt32
  public let name: String
  /// The parameters' names (what `args` would hold; each is a 64-bit value in the context).
  public let parameters: [String]

  public init(programID: UInt32, name: String, parameters: [String]) {
    self.programID = programID
    self.name = name
    self.parameters = parameters
  }
}

extension MachineFacts {
  public func kernelSymbolAddress(_ name: String) -> UInt64? { nil }
  public func kernelFunctions(matching pattern: String) -> [String] { [] }
  public func kernelModuleLoaded(_ name: String) -> Bool { true }
  public func resolveUserBinary(_ target: String) -> String? { target }
  public func expandUserBinary(_ target: String) -> [String]? { nil }
  public var readsUserBinaries: Bool { false }
  public func userFunctions(in path: String) -> [String]? { nil }
  public func userFileMayHaveFunction(_ name: String, in path: String) -> Bool { true }
  public func userFunctionSize(_ name: String, in path: String) -> UInt64? { nil }
  public func userAddressIsCode(_ address: UInt64, in path: String) -> Bool { true }
  public func usdtSites(in path: String) -> [USDTSite]? { nil }
  public func demangle(_ name: String) -> String { name }
  public func userDataSymbol(_ name: String, function: String?, in path: String)
    -> (address: UInt64, size: UInt64, functionAddress: UInt64?, positionIndependent: Bool)? { nil }
  public func cgroupID(_ path: String) -> UInt64? { nil }
  public func sourceLineAddresses(file: String, line: Int, column: Int?, in path: String) -> [UInt64]? { nil }
  public func filesToList(matching pattern: String) -> [String] { [] }
  public func bpfProgramFunctions() -> [BPFProgramFunction] { [] }
}

/// A machine the checker knows nothing of: for tests, dumps of the syntax and the fuzzer.
public struct UnknownMachine: MachineFacts {
  public init() {}
}
