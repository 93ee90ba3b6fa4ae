/// Values that BPF keeps as numbers and userspace prints as text: timestamps, kernel and user
/// symbols, stacks, addresses, user names and errno names. Resolving in userspace keeps the BPF
/// side cheap (one store), as bpftrace does.
public enum SymbolKind: Codable, Hashable, Sendable, CustomStringConvertible {
  /// `strftime(format, nsecs)`: nanoseconds of CLOCK_MONOTONIC, printed as wall-clock time.
  case timestamp(format: String)
  /// `ksym(address)`, `func` in kprobes: the kernel function containing the address.
  case kernelSymbol
  /// `usym(address)`, `func` in uprobes: (address, pid, inode, device, file offset). The mapping
  /// is looked up in BPF when the value is made, so the symbol resolves after the process exits.
  case userSymbol
  /// `kstack`: a stack id in the stack-trace map for `limit` frames.
  case kernelStack(StackFormat)
  /// `ustack`: (stack id, pid).
  case userStack(StackFormat)
  /// `ntop([family,] address)`: (family, 16 address bytes).
  case inetAddress
  /// `username`: a uid printed as its name.
  case username
  /// `strerror(errno)`.
  case errorName
  /// `syscall_name(number)`.
  case syscallName
  /// `signal_name(number)`.
  case signalName
  /// `macaddr(p)`: six bytes, printed `AA:BB:CC:DD:EE:FF`.
  case macAddress
  /// `cgroup_path(id)`: a cgroup id, printed as its path in each mounted hierarchy.
  case cgroupPath
  /// A value of an enum (its constants, `(enum NAME)x`, bpftrace 0.23 and later): printed as its
  /// enumerator's name, or as the number where it has none.
  case enumName(EnumType)

  /// How a kstack or ustack prints; nil for the other kinds.
  public var stackFormat: StackFormat? {
    switch self {
    case .kernelStack(let f), .userStack(let f): return f
    case .timestamp, .kernelSymbol, .userSymbol, .inetAddress, .username, .errorName, .syscallName, .signalName,
      .macAddress, .cgroupPath, .enumName:
      return nil
    }
  }

  public var storageSize: Int {
    switch self {
    case .userStack: return 16
    case .userSymbol: return 40
    case .inetAddress: return 24
    default: return 8
    }
  }

  public var description: String {
    switch self {
    case .timestamp: return "timestamp"
    case .kernelSymbol: return "ksym"
    case .userSymbol: return "usym"
    case .kernelStack(let f): return "kstack(\(f))"
    case .userStack(let f): return "ustack(\(f))"
    case .inetAddress: return "inet"
    case .username: return "username"
    case .errorName: return "strerror"
    case .syscallName: return "syscall_name"
    case .signalName: return "signal_name"
    case .macAddress: return "macaddr"
    case .cgroupPath: return "cgroup_path"
    case .enumName(let e): return "enum \(e.name)"
    }
  }
}

/// How a stack prints (bpftrace's `bpftrace`, `perf` and `raw` modes) and how deep it goes.
public struct StackFormat: Codable, Hashable, Sendable, CustomStringConvertible {
  public enum Mode: String, Codable, Sendable, CaseIterable {
    case bpftrace, perf, raw
    /// Each frame as its file's build id and its offset in that file, unsymbolized (bpftrace 0.21
    /// and later; user stacks only).
    case buildID = "build_id"
  }
  public let mode: Mode
  public let limit: Int

  public init(mode: Mode = .bpftrace, limit: Int = 127) {
    self.mode = mode
    self.limit = limit
  }

  public var description: String { "\(mode.rawValue), \(limit)" }

  /// User stacks printed as symbols keep (build id, file offset) frames, which still resolve
  /// once the process has exited; perf and raw modes print addresses and keep those.
  public var recordsBuildIDs: Bool { mode == .bpftrace || mode == .buildID }
}

/// Where the kernel keeps a mapping's file, from BTF: what BPF reads to say which file (inode and
/// device) and which offset in it a user address belongs to.
/// The fields are CO-RE relocated like a script's field reads.
public struct VMALayout: Codable, Hashable, Sendable {
  public let vmStart: KernelFieldAccess
  public let vmPageOffset: KernelFieldAccess
  public let vmFile: KernelFieldAccess
  public let fileInode: KernelFieldAccess
  public let inodeNumber: KernelFieldAccess
  public let inodeSuperBlock: KernelFieldAccess
  public let superBlockDevice: KernelFieldAccess

  public var fields: [KernelFieldAccess] {
    [vmStart, vmPageOffset, vmFile, fileInode, inodeNumber, inodeSuperBlock, superBlockDevice]
  }

  public init(vmStart: KernelFieldAccess, vmPageOffset: KernelFieldAccess, vmFile: KernelFieldAccess,
              fileInode: KernelFieldAccess, inodeNumber: KernelFieldAccess, inodeSuperBlock: KernelFieldAccess,
              superBlockDevice: KernelFieldAccess) {
    self.vmStart = vmStart
    self.vmPageOffset = vmPageOffset
    self.vmFile = vmFile
    self.fileInode = fileInode
    self.inodeNumber = inodeNumber
    self.inodeSuperBlock = inodeSuperBlock
    self.superBlockDevice = superBlockDevice
  }
}

/// An enum's enumerators, by value: how a value of it prints.
public struct EnumType: Codable, Hashable, Sendable {
  /// The enum's tag, "" for an anonymous enum.
  public let name: String
  public let names: [Int64: String]

  public init(name: String, names: [Int64: String]) {
    self.name = name
    self.names = names
  }

  /// The enumerator's name, or the value as a signed number where the enum has none.
  public func text(_ value: UInt64) -> String {
    names[Int64(bitPattern: value)] ?? String(Int64(bitPattern: value))
  }
}
