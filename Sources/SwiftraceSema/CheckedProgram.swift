import SwiftraceBasics
import SwiftraceSyntax

/// The type checker's result: the AST with a side table of types, the solved maps, the expanded
/// probes and the printf formats. IRGen lowers it; the runtime uses its layouts to decode data.
public struct CheckedProgram {
  public let program: Program
  public let source: SourceFile
  public let types: [NodeID: SType]
  /// Maps in name order, the order they print in.
  public let maps: [MapInfo]
  /// One per attach point, in source order; `index` is the probe's id for the `probe` builtin.
  public let probes: [CheckedProbe]
  public let printfs: [PrintfInfo]
  /// The printf id (index into `printfs`) of each printf call.
  public let printfIDs: [NodeID: Int]
  /// What userspace does for print(), clear(), zero() and other deferred calls, by action id.
  public let actions: [AsyncAction]
  public let actionIDs: [NodeID: Int]
  /// The struct member each `->`/`.` access on memory resolved to.
  public let memberFields: [NodeID: RecordField]
  /// Which positional parameters the object reads while it runs (and where), which are compiled in.
  public var parameterLayout = ParameterLayout()
  /// `str($N)` calls whose text is read from the parameters' section, by the call's id.
  public var stringParameters: [NodeID: Int] = [:]
  /// The tracepoint fields the program reads (`args.name`, `args` as a whole), as compiled.
  public var tracepointFieldUses: [TracepointFieldUse] = []
  /// The reads of kernel struct fields through pointers whose offsets are CO-RE relocations.
  public var kernelFieldAccesses: [NodeID: KernelFieldAccess] = [:]
  /// Values known at compile time: `sizeof`, `offsetof`.
  public let constants: [NodeID: UInt64]
  /// Scratch variables of each probe (keyed by the `ProbeDecl`'s id).
  public let variables: [NodeID: [String: SType]]
  public let positionalParameters: [String]
  /// Default size of strings read with `str()` (BPFTRACE_STRLEN).
  public let stringLength: Int
  /// What `func` is in uprobes on a named function, by probe index (C++ names demangled).
  public var functionNames: [Int: String] = [:]
  /// `pton()` results.
  public var byteConstants: [NodeID: [UInt8]] = [:]
  /// `uaddr()` in position-independent files: added to the instruction pointer at the probe.
  public var relativeAddresses: [NodeID: Int64] = [:]
  /// Field offsets for finding a user address's file in BPF; nil without BTF.
  public var vmaLayout: VMALayout?
  /// `skboutput()` calls, by id: the PCAP file each writes and the bytes it skips.
  public var skbOutputs: [SkbOutput] = []
  public var skbOutputIDs: [NodeID: Int] = [:]
  /// What each call names, resolved once by the checker.
  public var callees: [NodeID: Callee] = [:]
  /// The kernel fields a builtin reads through (`ppid`: the task's real_parent, then its tgid).
  public var fieldChains: [NodeID: [KernelFieldAccess]] = [:]

  /// Every kernel field read the program makes: the script's, its builtins', and the user-symbol
  /// lookup's (for CO-RE relocations, and for naming what a kernel lacks).
  public var allKernelFieldAccesses: [KernelFieldAccess] {
    kernelFieldAccesses.values.sorted { $0.range.start < $1.range.start }
      + fieldChains.values.flatMap { $0 }.sorted { $0.range.start < $1.range.start }
      + (vmaLayout?.fields ?? [])
  }
  /// The kernel variables `percpu_kaddr()` calls name, with their BTF types.
  public var kernelVariables: [NodeID: KernelVariable] = [:]
  /// The options the program reads with getopt(), by name.
  public var programOptions: [ProgramOption] = []
  /// `pid(init)`, `nsecs(boot)`: the mode of each such call.
  public var builtinModes: [NodeID: BuiltinMode] = [:]
  /// str_trunc_trailer, nil when strings are 0.17's. With a trailer, str() reads one byte more
  /// than its string holds: a string that fills its bytes without a NUL was cut, and prints with
  /// the trailer after it (newer bpftrace's rule; a string of exactly stringLength bytes counts
  /// as cut too, as there).
  public var stringTrailer: String?

  public func map(named name: String) -> MapInfo? { maps.first { $0.name == name } }
  public func type(of e: Expr) -> SType { types[e.id] ?? .none }
  /// The function CALL names. The checker resolves every call it accepts; code generation only
  /// sees accepted programs.
  public func callee(_ call: Expr) -> Callee {
    guard let f = callees[call.id] else { preconditionFailure("a call the checker did not resolve at \(call.range)") }
    return f
  }
}

/// One `skboutput(path, skb, length, offset)` call: packets go to `path`, without their first
/// `offset` bytes (an Ethernet header, say).
public struct SkbOutput: Codable, Sendable, Equatable {
  public let path: String
  public let offset: Int
  public init(path: String, offset: Int) {
    self.path = path
    self.offset = offset
  }
}

/// How a map is stored in the kernel.
public enum MapStorage: String, Codable, Sendable {
  case hash
  /// Aggregations keyed by something: one value per CPU, summed or reduced when printed.
  case perCPUHash
  /// Scalar aggregations: a one-entry per-CPU array, which never needs an insert.
  case perCPUArray
}

public struct MapInfo: Codable, Sendable {
  public let name: String
  /// The key's parts; empty for a scalar map `@x`.
  public var keyTypes: [SType]
  public var valueType: SType
  /// Where it was first assigned, for notes on conflicting uses.
  public var firstAssignment: SourceRange
  /// `let @m = lruhash(N);`: the entries declared (nil: BPFTRACE_MAP_KEYS_MAX), and whether the
  /// least recently used entry makes room for a new one when it is full.
  public var declaredEntries: Int?
  public var evictsLeastRecentlyUsed = false

  public var isScalar: Bool { keyTypes.isEmpty }

  /// A scalar `count()` uses a one-entry per-CPU array (no insert, no hashing): bpftrace prints
  /// it as 0 whether it was never updated, cleared or zeroed, and so does an array. Every other
  /// aggregation must tell "no entry" (printed as an empty map) from a zeroed one (printed as 0).
  /// A scalar `hist()`/`lhist()` is a per-CPU array with one element per bucket (the key is the
  /// bucket index): no insert and no hashing per event; empty buckets print as nothing anyway.
  public var storage: MapStorage {
    guard valueType.isAggregation else { return .hash }
    if isScalar, case .count = valueType { return .perCPUArray }
    if isScalar, valueType.isHistogram { return .perCPUArray }
    return .perCPUHash
  }

  /// Elements of a per-CPU array: the buckets of a histogram, else one.
  public var arrayLength: Int {
    switch valueType {
    case .hist(let k): return Log2Buckets.count(k: k)
    case .lhist(let bounds): return bounds.bucketCount
    default: return 1
    }
  }

  /// Byte offset of each key part; parts are 8-byte aligned.
  public var keyOffsets: [Int] { packedOffsets(keyTypes, from: 0) }

  /// Where a histogram's bucket index sits in the key: after the script's keys.
  public var bucketOffset: Int { keyTypes.reduce(0) { $0 + $1.storageSize } }

  public var keySize: Int {
    if storage == .perCPUArray { return 4 }
    if valueType.hasSlotKey { return bucketOffset + 8 }
    if isScalar { return storage == .perCPUArray ? 4 : 8 }
    return keyTypes.reduce(0) { $0 + $1.storageSize }
  }

  /// Histograms hold one count per (key, bucket).
  public var valueSize: Int { valueType.isHistogram ? 8 : valueType.storageSize }

  public init(name: String, keyTypes: [SType], valueType: SType, firstAssignment: SourceRange) {
    self.name = name
    self.keyTypes = keyTypes
    self.valueType = valueType
    self.firstAssignment = firstAssignment
  }
}

public struct CheckedProbe {
  public let kind: ProbeKind
  public let decl: ProbeDecl
  public let attachPoint: AttachPoint
  public let index: Int
  /// For tracepoints: the fields `args` offers.
  public let tracepointFormat: TracepointFormat?
  /// For raw tracepoints: the arguments, each a u64 slot of the context.
  public let rawArguments: [(name: String, type: CType)]?
  /// For kretfunc (fexit): the function's return type; `retval` follows the arguments in the context.
  public var returnType: CType? = nil

  public var name: String { kind.name }
}

/// A printf-style call: the event carries the arguments, userspace formats them and then prints
/// the text (printf), prints the file it names (cat) or runs it as a shell command (system).
public struct PrintfInfo: Codable, Sendable {
  public enum Kind: String, Codable, Sendable {
    case printf, cat, system
    /// errorf() and warnf() (bpftrace 0.23 and later): a located error or warning on stderr.
    case errorf, warnf
  }
  public let format: PrintfFormat
  public let argumentTypes: [SType]
  public let kind: Kind
  /// The call, which errorf() and warnf() messages point at.
  public let range: SourceRange

  public init(format: PrintfFormat, argumentTypes: [SType], kind: Kind = .printf,
              range: SourceRange = SourceRange(start: 0, end: 0)) {
    self.format = format
    self.argumentTypes = argumentTypes
    self.kind = kind
    self.range = range
  }

  /// Offsets of the arguments in the event, after the 8-byte event id.
  public var argumentOffsets: [Int] { packedOffsets(argumentTypes, from: 8) }

  public var eventSize: Int { 8 + argumentTypes.reduce(0) { $0 + $1.storageSize } }
}

/// Offsets of values laid out one after another from `start`, each taking its `storageSize`
/// (a multiple of 8, so every value stays 8-byte aligned). Map keys and events share this layout.
public func packedOffsets(_ types: [SType], from start: Int) -> [Int] {
  var offsets: [Int] = []
  var o = start
  for t in types {
    offsets.append(o)
    o += t.storageSize
  }
  return offsets
}

/// What a call names: a function, or a builtin written as a call (`pid()`, `comm()`, as bpftrace
/// 0.18 and later allow).
public enum Callee: Sendable, Equatable {
  case function(Function)
  case builtin(Builtin)

  /// The aggregation the call is, if it is one.
  public var aggregation: Aggregation? {
    if case .function(let f) = self { return f.aggregation }
    return nil
  }
}

/// A kernel variable a program takes the address of (`percpu_kaddr("runqueues")`): an extern of
/// the object that libbpf resolves by name against the kernel's BTF.
public struct KernelVariable: Hashable, Sendable {
  public let name: String
  public let type: CType
}
