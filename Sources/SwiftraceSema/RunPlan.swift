import SwiftraceBasics

/// Everything a run needs of a compiled script and nothing of the compiler: the BPF object, the
/// probes it attaches, the maps, formats and actions it prints with, and the configuration it was
/// built with. The pipeline makes one from a checked program and its object; artefacts
/// (`swiftrace --aot`) and the compile cache store it (BinaryCoding), and the session runs it,
/// so that a run from any of them is the same run.
public struct RunPlan: Codable, Sendable {
  /// A probe as the run sees it: where it attaches and what its name prints as.
  public struct Probe: Codable, Sendable {
    public let kind: ProbeKind
    public let name: String
    public let index: Int
    /// The attach point as written: the probes one wildcard expanded to share it.
    public let attachPointRange: SourceRange
    /// The block's first attach point, where reports about the probe's program point.
    public let blockRange: SourceRange

    public init(kind: ProbeKind, name: String, index: Int, attachPointRange: SourceRange, blockRange: SourceRange) {
      self.kind = kind
      self.name = name
      self.index = index
      self.attachPointRange = attachPointRange
      self.blockRange = blockRange
    }
  }

  /// The script and the files it imports: warnings and errors at run time point into it.
  public let source: SourceFile
  public let probes: [Probe]
  public let maps: [MapInfo]
  public let printfs: [PrintfInfo]
  public let actions: [AsyncAction]
  public let skbOutputs: [SkbOutput]
  /// str_trunc_trailer as the script's generation sets it.
  public let stringTrailer: String?
  /// Written in newer bpftrace's language: a program of only BEGIN and END probes ends by itself.
  public let newerSyntax: Bool
  /// The kernel struct fields the program reads through CO-RE relocations, each once (its first
  /// read in the script): what the run names when the running kernel lacks one.
  public let kernelFields: [KernelFieldAccess]
  /// The tracepoint fields the program reads, where the compiling kernel had them.
  public let tracepointFields: [TracepointFieldUse]
  /// Where the object reads its positional parameters, which are compiled in.
  public let parameters: ParameterLayout
  /// The settings the program was compiled with (the config block's included).
  public let configuration: Configuration
  public let code: BPFObjectCode

  public init(checked: CheckedProgram, code: BPFObjectCode, configuration: Configuration) {
    source = checked.source
    probes = checked.probes.map { p in
      Probe(kind: p.kind, name: p.name, index: p.index, attachPointRange: p.attachPoint.range,
            blockRange: p.decl.attachPoints.first?.range ?? p.decl.range)
    }
    maps = checked.maps
    printfs = checked.printfs
    actions = checked.actions
    skbOutputs = checked.skbOutputs
    stringTrailer = checked.stringTrailer
    newerSyntax = checked.program.newerSyntax != nil
    parameters = checked.parameterLayout
    tracepointFields = checked.tracepointFieldUses
    var seen = Set<String>()
    kernelFields = checked.allKernelFieldAccesses.filter {
      seen.insert("\($0.record) \($0.field.name)").inserted
    }
    self.configuration = configuration
    self.code = code
  }

  public func map(named name: String) -> MapInfo? { maps.first { $0.name == name } }
}
