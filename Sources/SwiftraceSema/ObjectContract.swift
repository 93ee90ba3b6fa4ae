import SwiftraceBasics
/// What generated code and the runtime agree on, declared once: the names of the object's own
/// maps and globals (ObjectSymbols) and the ids of the events BPF sends (AsyncEventID). IRGen
/// writes them, the session reads them.
public enum ObjectSymbols {
  /// The ring buffer every event goes through.
  public static let ringBuffer = "swiftrace_events"
  /// A per-CPU count of events the full ring buffer refused.
  public static let lostEvents = "swiftrace_lost"
  /// Per-CPU counts of failed inserts, one slot per script map (`CheckedProgram.maps` order).
  public static let failedUpdates = "swiftrace_full"
  /// One u64 global: nonzero once userspace stops the trace; every probe but BEGIN and END then
  /// returns at once, so END and the exit-time maps see a quiet system while the slow detach happens
  /// later. It is the only variable in `.bss`, which libbpf turns into a one-element array map of
  /// that name: probes read it with a single load (no map lookup), userspace writes element 0.
  public static let stopped = "swiftrace_stopped"
  public static let stoppedSection = ".bss"
  /// What only the run knows, written by the session after loading and before BEGIN, so that the
  /// object does not depend on the run: one u64 per `RunFact` (cpid, start, ncpus), the only variable
  /// in `.data` (libbpf's one-element array map of that name); declared only when a probe reads it.
  public static let runFacts = "swiftrace_run"
  public static let runFactsSection = ".data"
  /// The perf event array `skboutput()` sends packets through (bpf_skb_output writes to no other
  /// kind of map); declared only when the program calls it.
  public static let packets = "swiftrace_packets"
  /// A per-CPU block of each probe's variables, for probes with map loops (their callbacks reach the
  /// variables there).
  public static let frames = "swiftrace_frames"
  /// Per-CPU memory for what does not fit a function's stack budget (IRGen+ScratchRegion).
  public static let scratch = "swiftrace_scratch"
  /// bpf_find_vma's callback, shared by the object's programs.
  public static let vmaCallback = "swiftrace_vma"
  /// The stack-trace map that holds stacks of `limit` frames (one per limit in a program).
  public static func stacks(limit: Int) -> String { "swiftrace_stacks_\(limit)" }
  /// The map of user stacks with build-id frames (32 bytes each) of `limit` frames.
  public static func buildIDStacks(limit: Int) -> String { "swiftrace_ustacks_\(limit)" }
}

/// Event kinds sent through the ring buffer; the first 8 bytes of every event.
public enum AsyncEventID {
  /// printf events use their format's index, 0..<exit.
  public static let exit: UInt64 = 1 << 32
  /// `CheckedProgram.actions[i]` is sent as `actionBase + i`.
  public static let actionBase: UInt64 = 1 << 33
  /// `-k`: a failed helper call at site i (`BPFObjectCode.helperErrorSites[i]`) is sent as
  /// `helperErrorBase + i`, with the return code after it.
  public static let helperErrorBase: UInt64 = 1 << 34
  /// `watchpoint:FUNCTION+argN`: the setup uprobe of probe i sends `watchpointBase + i` and the address.
  public static let watchpointBase: UInt64 = 1 << 35
}

/// The words of `ObjectSymbols.runFacts`, in order.
public enum RunFact: Int, CaseIterable, Sendable {
  /// The `-c` child's pid (`cpid`); 0 without one.
  case childPID
  /// CLOCK_MONOTONIC when swiftrace started (`elapsed` counts from it).
  case startTime
  /// The number of online CPUs (`ncpus`).
  case onlineCPUs
  /// The device and inode of swiftrace's pid namespace (`pid(curr_ns)`, `tid(curr_ns)`).
  case pidNamespaceDevice, pidNamespaceInode
  /// How many CPUs per-CPU maps have a slot for (an aggregation read in a probe sums them).
  case possibleCPUs
}

/// The compiled object and what the runtime needs to find things in it: one program per attach
/// point, the ELF symbol of every map, the helper calls `-k` checks. Code generation makes it, the
/// session runs it as it is (it lives here, below both, so the runtime needs no LLVM).
public struct BPFObjectCode: Codable, Sendable {
  public struct ProgramSymbol: Codable, Sendable {
    /// A probe's own program, or the uprobe that places a function watchpoint's breakpoint.
    public enum Role: Codable, Sendable { case probe, watchpointSetup }
    public let probeIndex: Int
    public let functionName: String
    public let section: String
    public var role: Role = .probe

    public init(probeIndex: Int, functionName: String, section: String, role: Role = .probe) {
      self.probeIndex = probeIndex
      self.functionName = functionName
      self.section = section
      self.role = role
    }
  }
  public let elf: [UInt8]
  public let programs: [ProgramSymbol]
  /// Script map name (`@x`) to the symbol of its `.maps` global.
  public let mapSymbols: [String: String]
  /// `-k`: the helper calls whose failures are reported, by site index.
  public var helperErrorSites: [HelperErrorSite] = []

  public init(elf: [UInt8], programs: [ProgramSymbol], mapSymbols: [String: String],
              helperErrorSites: [HelperErrorSite] = []) {
    self.elf = elf
    self.programs = programs
    self.mapSymbols = mapSymbols
    self.helperErrorSites = helperErrorSites
  }

  /// The program (function) name of each probe's program of ROLE, by probe index.
  public func programNames(_ role: ProgramSymbol.Role) -> [Int: String] {
    Dictionary(uniqueKeysWithValues: programs.filter { $0.role == role }.map { ($0.probeIndex, $0.functionName) })
  }
}

/// A helper call checked under `-k`: which helper, and the statement that made it.
public struct HelperErrorSite: Codable, Sendable {
  public let helper: String
  public let range: SourceRange

  public init(helper: String, range: SourceRange) {
    self.helper = helper
    self.range = range
  }
}

/// The sizes a BPF program can have here. A branch holds a 16-bit offset, so it reaches 32,767
/// instructions, and LLVM 14 writes a longer one wrapped around without a word (the BPF backend has
/// no branch relaxation). In a program of at most 65,536 instructions a wrapped branch lands outside
/// it, which the verifier refuses ("jump out of range"); in a longer one it can land on another
/// instruction and run the wrong code. So longer programs are refused, before the verifier sees them.
public enum BPFSizeLimits {
  public static let branchReach = 32_767
  public static let maxInstructions = 65_536
  /// Instructions of unoptimized IR (casts and stack slots aside) past which a function is refused
  /// before LLVM runs, which takes seconds at this size. Over the examples and golden scripts a
  /// program has 0.76 to 2 BPF instructions per such IR instruction; at 1.5 times the limit a refused
  /// function would have to shrink by half to fit.
  public static let maxIRInstructions = 3 * maxInstructions / 2
}
