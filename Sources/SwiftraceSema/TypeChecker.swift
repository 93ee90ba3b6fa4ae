import SwiftraceBasics
import SwiftraceSyntax

/// Resolves attach points and infers every expression's type. Map key and value types are global:
/// every probe contributes, so the checker walks all probes until the maps stop changing (a map read
/// in one probe may be assigned in a later one), then walks once more to report errors.
public final class TypeChecker {
  public struct Options {
    public var positionalParameters: [String] = []
    public var hasChildCommand = false
    public var stringLength = 64
    /// str_trunc_trailer: printed after a string str() cut at stringLength; nil for 0.17's rule
    /// (nothing printed, and stringLength counts the terminating NUL).
    public var stringTrailer: String?
    /// A script of newer syntax gets newer bpftrace's values where they print differently from
    /// 0.17's: enum constants are values of their enum, printed by name; strcontains() is a bool.
    public var newerValues = false
    /// Kernel symbols, user binaries, cgroups: what the checker asks of the machine.
    public var machine: any MachineFacts = UnknownMachine()
    /// `-p PID` or `-c COMMAND` was given: what watchpoints attach to.
    public var hasTargetProcess = false
    /// The program that process runs: where `watchpoint:FUNCTION+argN` finds FUNCTION.
    public var targetExecutable: String?
    /// `--unsafe`: system(), signal() and override() may be used.
    public var unsafe = false
    /// DWARF of uprobe targets: `args->name` in uprobes, and their struct types in casts.
    public var userDebugInfo: UserDebugInfo?
    /// `--probe-filter REGEX`: which probes (by full name) are kept; BEGIN and END always are.
    public var probeFilter: (@Sendable (String) -> Bool)?
    /// stack_mode: how kstack and ustack print when the call names no mode.
    public var stackMode = StackFormat.Mode.bpftrace
    /// `--name=value` after `--`: what getopt() reads.
    public var programOptions: [ProgramOptionArgument] = []
    /// `missing_probes`: what an attach point that names nothing here does.
    public var missingProbes: MissingProbes = .warn
    /// Past this many probes the program is refused (max_probes, max_bpf_progs): their bodies
    /// are not checked.
    public var maxProbes = Int.max
    /// `unstable_tseries = error`: tseries() is refused (newer bpftrace's switch for it).
    public var refusesTimeSeries = false
    public init() {}
  }

  let program: Program
  let diagnostics: DiagnosticEngine
  let catalog: TracepointCatalog
  let kernelTypes: KernelTypeCatalog?
  let options: Options
  /// The struct member each `->`/`.` access resolved to, for code generation.
  var memberFields: [NodeID: RecordField] = [:]
  var kernelFieldAccesses: [NodeID: KernelFieldAccess] = [:]
  /// How expressions read positional parameters (as values: slots of the parameters' section)...
  var parameterUses: [Int: Set<ParameterLayout.Use>] = [:]
  /// ...and which ones the checker itself used (compiled in).
  var fixedParameters: Set<Int> = []
  var parameterCountFixed = false
  /// The parameters each enclosing `if` with a condition known when compiling read.
  var decidingParameters: [(Set<Int>, count: Bool)] = []
  var stringParameters: [NodeID: Int] = [:]
  var tracepointFieldUses: [String: TracepointFieldUse] = [:]
  var constants: [NodeID: UInt64] = [:]
  /// `uaddr()` in position-independent files: the symbol's distance from the probed address;
  /// BPF adds the instruction pointer at the probe.
  var relativeAddresses: [NodeID: Int64] = [:]
  /// Byte strings known when compiling: `pton()`.
  var byteConstants: [NodeID: [UInt8]] = [:]
  /// Whether some value is a `usym`: its mapping is then found in BPF.
  var usesUserSymbols = false
  /// `func` of uprobes on a named function, by probe index: the name, demangled.
  var funcNames: [Int: String] = [:]

  var maps: [String: MapInfo] = [:]
  var types: [NodeID: SType] = [:]
  var printfs: [PrintfInfo] = []
  var skbOutputs: [SkbOutput] = []
  var skbOutputIDs: [NodeID: Int] = [:]
  var callees: [NodeID: Callee] = [:]
  /// Offsets of kernel fields a builtin reads through, one pointer after another (`ppid`).
  var fieldChains: [NodeID: [KernelFieldAccess]] = [:]
  var kernelVariables: [NodeID: KernelVariable] = [:]
  var printfIDs: [NodeID: Int] = [:]
  var actions: [AsyncAction] = []
  var actionIDs: [NodeID: Int] = [:]
  var variables: [NodeID: [String: SType]] = [:]
  /// `pid(init)`, `nsecs(boot)`: the mode of each such call.
  var builtinModes: [NodeID: BuiltinMode] = [:]
  /// What getopt() reads, by name.
  var programOptions: [String: ProgramOption] = [:]
  /// Set while inferring: a map's types changed, so another round is needed.
  var changed = false
  /// Only the last walk reports, so errors are not repeated once per round.
  var reporting = false
  /// The map an assignment's value is being checked for: it may read itself (`@a = @a + 1`).
  var mapBeingAssigned: String?
  /// The probe being checked and its scratch variables.
  var current: CheckedProbe!
  var scope: [String: SType] = [:]
  /// Variables of the probe whose assignment was an error: reading them later says nothing more
  /// (the assignment's error is the one to fix).
  var failedVariables: Set<String> = []
  /// How many `while` loops enclose the statement being checked (for break and continue).
  var loopDepth = 0
  /// Inside a branch that a condition known when compiling leaves out (fail() is allowed there).
  var unreachableDepth = 0
  /// The call whose arguments are being checked: printf, system and cat take strings of any
  /// length (they are formats or go to userspace whole); elsewhere a literal must fit a string.
  var enclosingCall: String?
  /// Inside `for ($kv : @map)`, whose body runs as a callback without the probe's context.
  var mapLoopDepth = 0

  public init(program: Program, diagnostics: DiagnosticEngine, catalog: TracepointCatalog,
              kernelTypes: KernelTypeCatalog? = nil, options: Options = Options()) {
    self.program = program
    self.diagnostics = diagnostics
    self.catalog = catalog
    self.kernelTypes = kernelTypes
    self.options = options
  }

  public static func check(_ program: Program, source: SourceFile, diagnostics: DiagnosticEngine,
                           catalog: TracepointCatalog, kernelTypes: KernelTypeCatalog? = nil,
                           options: Options = Options()) -> CheckedProgram {
    TypeChecker(program: program, diagnostics: diagnostics, catalog: catalog, kernelTypes: kernelTypes,
                options: options).run(source: source)
  }

  func run(source: SourceFile) -> CheckedProgram {
    let probes = resolveProbes()
    // More probes than may be loaded: the caller refuses the program, so the bodies of tens of
    // thousands of probes are not checked first (a fuzzer's input took seconds there).
    let checkedProbes = probes.count > options.maxProbes ? [] : probes
    for _ in 0..<16 {
      changed = false
      checkedProbes.forEach(checkProbe)
      if !changed { break }
    }
    reporting = true
    checkedProbes.forEach(checkProbe)
    applyMapDeclarations()
    let sortedMaps = maps.values.sorted { $0.name < $1.name }
    var checked = CheckedProgram(program: program, source: source, types: types, maps: sortedMaps, probes: probes,
                          printfs: printfs, printfIDs: printfIDs, actions: actions, actionIDs: actionIDs, memberFields: memberFields, constants: constants, variables: variables, positionalParameters: options.positionalParameters,
                          stringLength: options.stringLength, functionNames: funcNames, byteConstants: byteConstants,
                          relativeAddresses: relativeAddresses,
                          vmaLayout: usesUserSymbols ? vmaLayout() : nil,
                          skbOutputs: skbOutputs, skbOutputIDs: skbOutputIDs, callees: callees,
                          fieldChains: fieldChains,
                          programOptions: programOptions.values.sorted { $0.name < $1.name },
                          builtinModes: builtinModes, stringTrailer: options.stringTrailer)
    checked.kernelVariables = kernelVariables
    checked.kernelFieldAccesses = kernelFieldAccesses
    checked.tracepointFieldUses = tracepointFieldUses.values.sorted { $0.range.start < $1.range.start }
    checked.parameterLayout = ParameterLayout(uses: parameterUses, fixed: fixedParameters, countIsFixed: parameterCountFixed)
    checked.stringParameters = stringParameters.filter { !fixedParameters.contains($0.value) }
    return checked
  }

  func error(_ message: DiagnosticMessage, at range: SourceRange, notes: [Diagnostic.Note] = []) {
    if reporting { diagnostics.error(message, at: range, notes: notes) }
  }

  /// The offsets BPF follows from a `vm_area_struct` to its file's inode and device.
  func vmaLayout() -> VMALayout? {
    guard let types = kernelTypes else { return nil }
    func offset(_ record: String, _ field: String) -> KernelFieldAccess? {
      guard let r = types.record(named: record, isUnion: false),
        let f = types.fields(of: r).first(where: { $0.name == field }) else { return nil }
      return KernelFieldAccess(record: r, field: f, range: SourceRange(start: 0, end: 0))
    }
    guard let start = offset("vm_area_struct", "vm_start"), let pgoff = offset("vm_area_struct", "vm_pgoff"),
      let file = offset("vm_area_struct", "vm_file"), let inode = offset("file", "f_inode"),
      let ino = offset("inode", "i_ino"), let sb = offset("inode", "i_sb"), let dev = offset("super_block", "s_dev")
    else { return nil }
    return VMALayout(vmStart: start, vmPageOffset: pgoff, vmFile: file, fileInode: inode, inodeNumber: ino,
                     inodeSuperBlock: sb, superBlockDevice: dev)
  }

  func warning(_ message: DiagnosticMessage, at range: SourceRange) {
    if reporting { diagnostics.warning(message, at: range) }
  }

  func checkProbe(_ probe: CheckedProbe) {
    current = probe
    scope = [:]
    failedVariables = []
    if let predicate = probe.decl.predicate {
      if let t = check(predicate), !t.isIntegerLike {
        error(.predicateNotInteger(t), at: predicate.range)
      }
    }
    check(probe.decl.body)
    variables[probe.decl.id, default: [:]].merge(scope) { a, _ in a }
  }

  // MARK: Statements

  func check(_ block: Block) {
    for stmt in block.statements { check(stmt) }
  }

  func check(_ stmt: Stmt) {
    switch stmt.kind {
    case .expression(let e):
      if case .call(let name, _) = e.kind, let f = Function(rawValue: name), f.isAggregation {
        error(.aggregationAsStatement(name), at: e.range)
        return
      }
      _ = check(e, asStatement: true)
    case .assign(let target, let op, let value):
      checkAssignment(target: target, op: op, value: value, range: stmt.range)
    case .ifElse(let condition, let then, let elseBlock):
      if let t = check(condition), !t.isIntegerLike {
        error(.conditionNotInteger("an if", t), at: condition.range)
      }
      // A branch a condition known when compiling leaves out is never reached: fail() there is
      // not an error (bpftrace's `if ($1 < 2) { fail(...) }`).
      // Whether the condition is known reads parameters; they are compiled in only if the decision
      // matters (a fail() or static_assert() under it), else the branch reads them as it runs.
      let before = (fixedParameters, parameterCountFixed)
      let known = constantCondition(condition)
      let deciding = (fixedParameters.subtracting(before.0), parameterCountFixed && !before.1)
      (fixedParameters, parameterCountFixed) = before
      decidingParameters.append(known == nil ? ([], false) : deciding)
      defer { decidingParameters.removeLast() }
      unreachableDepth += known == 0 ? 1 : 0
      check(then)
      unreachableDepth -= known == 0 ? 1 : 0
      if let elseBlock {
        unreachableDepth += known.map { $0 != 0 } == true ? 1 : 0
        check(elseBlock)
        unreachableDepth -= known.map { $0 != 0 } == true ? 1 : 0
      }
    case .whileLoop(let condition, let body):
      if let t = check(condition), !t.isIntegerLike {
        error(.conditionNotInteger("a while", t), at: condition.range)
      }
      loopDepth += 1
      check(body)
      loopDepth -= 1
    case .forRange(let variable, let start, let end, let body):
      for bound in [start, end] {
        if let t = check(bound), !t.isInteger {
          error(.rangeBoundNotInteger(t), at: bound.range)
        }
      }
      if let existing = scope[variable], !existing.isInteger {
        error(.loopCounterMismatch(variable, holds: existing), at: stmt.range)
      }
      scope[variable] = .int64
      loopDepth += 1
      check(body)
      loopDepth -= 1
    case .forMap(let variable, let map, let body):
      checkForMap(variable: variable, map: map, body: body, stmt)
    case .unroll(let count, let body):
      if let n = compileTimeInteger(count), (1...100).contains(n) {
        types[count.id] = .int64
        constants[count.id] = UInt64(n)
      } else if let n = compileTimeInteger(count) {
        // bpftrace's words, which scripts and harnesses look for.
        error(.unrollOutOfRange(n), at: count.range)
      } else {
        error(.unrollNeedsLiteral, at: count.range)
      }
      check(body)
    case .breakLoop, .continueLoop:
      if loopDepth == 0 {
        let word = { if case .breakLoop = stmt.kind { return "break" } else { return "continue" } }()
        error(.notInLoop(word), at: stmt.range)
      }
    case .returnProbe(let value):
      if mapLoopDepth > 0 {
        error(.returnInMapLoop, at: stmt.range)
      }
      if let value, let t = check(value), !t.isIntegerLike {
        error(.returnValueNotInteger(t), at: value.range)
      }
    case .declare(let target, let type, let value):
      guard case .variable(let name) = target.kind else { return }
      if let type {
        let declared: SType
        switch type {
        case .integer(let integer): declared = .integer(signed: integer.signed, bits: integer.bits)
        case .bool: declared = .bool
        case .string(let size): declared = .string(size: size ?? options.stringLength)
        case .typeOf(let e):
          // Never evaluated: its type only (code generation does not look at it).
          guard let t = check(e).flatMap({ stored($0, at: e.range) }), t.isStorable else { return }
          declared = t
        case .parameter(let name):
          error(.unexpandedTypeParameter(name), at: target.range)
          return
        }
        if let existing = scope[name], existing != declared {
          error(.variableTypeMismatch(name, assigning: declared, holds: existing), at: target.range)
        }
        scope[name] = declared
        types[target.id] = declared
      }
      if let value { checkAssignment(target: target, op: nil, value: value, range: stmt.range) }
    case .block(let block):
      check(block)
    }
  }

  func checkForMap(variable: String, map: Expr, body: Block, _ stmt: Stmt) {
    guard case .map(let name, let keys) = map.kind, keys.isEmpty else {
      error(.forNeedsWholeMap(variable), at: map.range)
      return
    }
    guard let info = maps[name] else {
      let hint = closestName(to: name, in: maps.keys).map { "; did you mean '\($0)'?" } ?? ""
      error(.undefinedMap(name, hint: hint), at: map.range)
      return
    }
    // count, sum, min, max and avg maps are read as they print, folded over CPUs (bpftrace 0.20
    // and later); the other aggregations have no single value.
    let readable = info.storage == .hash || info.valueType.foldedReadType != nil
    guard !info.isScalar, readable else {
      let why = info.isScalar ? "it has no keys" : "it holds \(info.valueType), kept per CPU"
      error(.cannotIterate(name, why: why), at: map.range)
      return
    }
    let key = info.keyTypes.count == 1 ? info.keyTypes[0] : .tuple(info.keyTypes)
    let entry = SType.tuple([key, info.valueType.foldedReadType ?? info.valueType])
    if let existing = scope[variable], existing != entry {
      error(.loopEntryMismatch(variable, holds: existing, entries: entry), at: stmt.range)
    }
    scope[variable] = entry
    types[map.id] = info.valueType
    loopDepth += 1
    mapLoopDepth += 1
    check(body)
    mapLoopDepth -= 1
    loopDepth -= 1
  }

  func checkAssignment(target: Expr, op: BinaryOperator?, value: Expr, range: SourceRange) {
    let valueType: SType?
    if case .call(let name, let args) = value.kind, let f = Function(rawValue: name), let aggregation = f.aggregation {
      callees[value.id] = .function(f)
      valueType = checkAggregation(f, aggregation, args: args, call: value)
      if op != nil {
        error(.compoundAggregation(name), at: value.range)
      }
      guard case .map = target.kind else {
        error(.aggregationOnlyToMap(name), at: value.range)
        return
      }
    } else {
      // `@a = @a + 1`: the map read on the right is the one being assigned (an integer, 0 at first).
      if case .map(let name, _) = target.kind { mapBeingAssigned = name }
      valueType = check(value).flatMap { stored($0, at: value.range) }
      mapBeingAssigned = nil
      if let t = valueType, !t.isStorable {
        error(.notStorable(t), at: value.range)
        return
      }
      if let t = valueType, op != nil, !t.isInteger {
        error(.compoundNotInteger(t), at: value.range)
        return
      }
    }
    guard var valueType else {
      if case .variable(let name) = target.kind, scope[name] == nil { failedVariables.insert(name) }
      return
    }
    // `p += n` and `p -= n` on a pointer move it by n elements, as in C.
    if let op, op == .add || op == .subtract, valueType.isInteger {
      let existing: SType?
      switch target.kind {
      case .map(let name, _): existing = maps[name]?.valueType
      case .variable(let name): existing = scope[name]
      default: existing = nil
      }
      if let existing, existing.isPointer { valueType = existing }
    }

    switch target.kind {
    case .map(let name, let keys):
      let keyTypes = checkKeys(keys, of: name)
      if op != nil, let existing = maps[name]?.valueType, !existing.isInteger, !existing.isPointer {
        error(.compoundNotIntegerMap(name, holds: existing), at: target.range)
      }
      recordMap(name, keys: keyTypes, value: valueType, at: target.range, valueRange: value.range)
      types[target.id] = maps[name]?.valueType ?? valueType
    case .variable(let name):
      if let existing = scope[name] {
        guard case .same(let merged) = unify(existing, valueType) else {
          error(.variableTypeMismatch(name, assigning: valueType, holds: existing), at: value.range)
          return
        }
        scope[name] = merged
      } else {
        scope[name] = valueType
      }
      types[target.id] = scope[name]
    default:
      break  // the parser has reported it
    }
  }

  func checkAggregation(_ f: Function, _ aggregation: Aggregation, args: [Expr], call: Expr) -> SType? {
    let expected = aggregation == .count ? 0 : aggregation == .lhist ? 4 : aggregation == .tseries ? 3 : 1
    // hist(x, k): 2^k buckets per power of two (bpftrace 0.21 and later).
    let histBuckets = aggregation == .hist && args.count == 2
    // tseries(x, interval, count, "function").
    let seriesFunction = aggregation == .tseries && args.count == 4
    guard args.count == expected || histBuckets || seriesFunction else {
      let takes = expected == 0 ? "no arguments" : expected == 1 ? "one argument" : "\(expected) arguments"
      error(.aggregationArity(f, takes: takes), at: call.range)
      return nil
    }
    var signed = false
    if let arg = args.first {
      guard let t = check(arg) else { return nil }
      guard t.isInteger else {
        error(.expectsInteger(f, not: t), at: arg.range)
        return nil
      }
      signed = t.isSigned
    }
    let t: SType
    switch aggregation {
    case .count: t = .count
    case .sum: t = .sum(signed: signed)
    case .min: t = .min(signed: signed)
    case .max: t = .max(signed: signed)
    case .stats: t = .stats(signed: signed)
    case .hist:
      var k = 0
      if histBuckets {
        guard let n = compileTimeInteger(args[1]), (0...5).contains(n) else {
          error(.histBuckets, at: args[1].range)
          return nil
        }
        types[args[1].id] = .int64
        k = Int(n)
      }
      t = .hist(k: k)
    case .lhist:
      guard let buckets = checkLinearBuckets(args, call: call) else { return nil }
      t = .lhist(buckets)
    case .avg: t = .avg(signed: signed)
    case .tseries:
      if options.refusesTimeSeries {
        error(.timeSeriesRefused, at: call.range)
        return nil
      }
      guard let series = checkTimeSeries(args, signed: signed) else { return nil }
      t = .tseries(series)
    }
    types[call.id] = t
    return t
  }

  /// An integer known when compiling: a literal, a negated one, or a numeric positional parameter
  /// (bpftrace substitutes those before it checks anything).
  func compileTimeInteger(_ e: Expr) -> Int64? {
    switch e.kind {
    case .integer(let v): return Int64(exactly: v)
    case .unary(.negate, let inner): return compileTimeInteger(inner).map { 0 &- $0 }
    case .positional(let n):
      fixedParameters.insert(n)
      guard n <= options.positionalParameters.count else { return 0 }
      return parseIntegerParameter(options.positionalParameters[n - 1])
    default: return nil
    }
  }

  /// tseries's interval (nanoseconds: `100ms`, `1s`), its number of intervals and its function,
  /// all known when compiling.
  func checkTimeSeries(_ args: [Expr], signed: Bool) -> TimeSeries? {
    guard let interval = compileTimeInteger(args[1]), interval > 0 else {
      error(.tseriesInterval, at: args[1].range)
      return nil
    }
    types[args[1].id] = .int64
    guard let count = compileTimeInteger(args[2]), (1...TimeSeries.maxIntervals).contains(count) else {
      error(.tseriesCount(TimeSeries.maxIntervals), at: args[2].range)
      return nil
    }
    types[args[2].id] = .int64
    var function = TimeSeries.Function.last
    if args.count == 4 {
      guard case .string(let name) = args[3].kind, let f = TimeSeries.Function(rawValue: name), f != .last else {
        error(.tseriesFunction, at: args[3].range)
        return nil
      }
      types[args[3].id] = .string(size: name.rawByteCount + 1)
      function = f
    }
    return TimeSeries(intervalNanoseconds: UInt64(interval), count: Int(count), function: function, signed: signed)
  }

  /// lhist's bounds: integer literals, with bpftrace's limits (at most 1000 buckets).
  func checkLinearBuckets(_ args: [Expr], call: Expr) -> LinearBuckets? {
    var bounds: [Int64] = []
    for (arg, what) in zip(args.dropFirst(), ["min", "max", "step"]) {
      guard let value = compileTimeInteger(arg) else {
        error(.lhistNeedsLiteral(what), at: arg.range)
        return nil
      }
      types[arg.id] = .int64
      bounds.append(value)
    }
    let (lo, hi, step) = (bounds[0], bounds[1], bounds[2])
    let problem: DiagnosticMessage?
    if lo < 0 {
      problem = .lhistNegativeMin(lo)
    } else if hi <= lo {
      problem = .lhistEmptyRange(lo, hi)
    } else if step < 1 {
      problem = .lhistStepTooSmall(step)
    } else if step > hi - lo {
      problem = .lhistStepTooLarge(step, lo, hi)
    } else if (hi - lo) / step > 1000 {
      problem = .lhistTooManyBuckets((hi - lo) / step)
    } else {
      problem = nil
    }
    if let problem {
      error(problem, at: call.range)
      return nil
    }
    return LinearBuckets(min: lo, max: hi, step: step)
  }

  // MARK: Maps

  func checkKeys(_ keys: [Expr], of name: String) -> [SType]? {
    var keyTypes: [SType] = []
    for key in keys {
      guard let t = check(key).flatMap({ stored($0, at: key.range) }) else { return nil }
      switch t {
      case .integer, .bool, .string, .buffer, .array, .structValue, .probe, .pointer, .symbol:
        keyTypes.append(t)
      case .tuple(let elements) where keys.count == 1:
        // `@m[(a, b)]`, `@m[$t]` (bpftrace 0.18 and later): the tuple's elements are the keys, as
        // in `@m[a, b]`.
        for element in elements {
          switch element {
          case .integer, .bool, .string, .buffer, .array, .structValue, .probe, .pointer, .symbol:
            keyTypes.append(element.widened)
          default:
            error(.invalidKey(element), at: key.range)
            return nil
          }
        }
      case .tuple:
        error(.tupleKey, at: key.range)
        return nil
      default:
        error(.invalidKey(t), at: key.range)
        return nil
      }
    }
    return keyTypes
  }

  /// Merges one use of a map into its solved types; a use that does not fit is reported with a note
  /// at the map's first assignment.
  func recordMap(_ name: String, keys: [SType]?, value: SType?, at range: SourceRange, valueRange: SourceRange) {
    // Maps hold 64-bit integers, as in bpftrace: `@m = (uint8)x` is a uint64 map.
    let keys = keys?.map(\.widened), value = value?.widened
    guard var info = maps[name] else {
      guard let keys, let value else { return }
      maps[name] = MapInfo(name: name, keyTypes: keys, valueType: value, firstAssignment: range)
      changed = true
      return
    }
    let note = [Diagnostic.Note("'\(name)' was first assigned here", at: info.firstAssignment)]
    if let keys {
      if keys.count != info.keyTypes.count {
        error(.mapKeyCount(name, here: keys.count, elsewhere: info.keyTypes.count), at: range, notes: note)
        return
      }
      var merged: [SType] = []
      for (a, b) in zip(info.keyTypes, keys) {
        guard case .same(let m) = unify(a, b) else {
          error(.mapKeyType(name, keyedBy: a, key: b), at: range, notes: note)
          return
        }
        merged.append(m)
      }
      if merged != info.keyTypes {
        info.keyTypes = merged
        changed = true
      }
    }
    if let value {
      guard case .same(let m) = unify(info.valueType, value) else {
        error(.mapValueType(name, assigning: value, holds: info.valueType), at: valueRange, notes: note)
        return
      }
      if m != info.valueType {
        info.valueType = m
        changed = true
      }
    }
    maps[name] = info
  }

  /// `let @m = kind(N);` (bpftrace 0.18 and later): the map's size, and LRU eviction; a per-CPU
  /// kind holds aggregations, as per-CPU maps do here.
  func applyMapDeclarations() {
    let kinds = ["hash", "lruhash", "percpuhash", "percpulruhash"]
    for declaration in program.mapDeclarations {
      guard kinds.contains(declaration.kind) else {
        error(.unknownMapKind(declaration.kind, suggestion: closestName(to: declaration.kind, in: kinds)), at: declaration.kindRange)
        continue
      }
      guard (1...(1 << 30)).contains(declaration.entries) else {
        error(.mapEntries(declaration.entries), at: declaration.range)
        continue
      }
      guard var info = maps[declaration.name] else {
        warning(.unusedMapDeclaration(declaration.name), at: declaration.range)
        continue
      }
      let perCPU = declaration.kind.hasPrefix("percpu")
      if perCPU != (info.storage == .perCPUHash) && info.storage != .perCPUArray {
        error(.mapKindMismatch(declaration.name, declaration.kind, holds: info.valueType), at: declaration.kindRange)
        continue
      }
      info.declaredEntries = Int(declaration.entries)
      info.evictsLeastRecentlyUsed = declaration.kind.hasSuffix("lruhash")
      maps[declaration.name] = info
    }
  }
}

extension TypeChecker {
  /// Notes that the probe being checked reads FIELD of its tracepoint (the run checks the running
  /// kernel's format still has it so).
  func noteTracepointField(_ field: TracepointFormat.Field, at range: SourceRange) {
    guard case .tracepoint(let category, let event) = current.kind else { return }
    let key = "\(category):\(event):\(field.name)"
    if tracepointFieldUses[key] == nil {
      tracepointFieldUses[key] = TracepointFieldUse(category: category, event: event, field: field, range: range)
    }
  }
}
