import CSyscalls
import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceSema

public struct SessionOptions {
  public var dryRun = false
  public var quiet = false
  /// print_maps_on_exit: false leaves the maps unprinted when the trace ends.
  public var printMapsOnExit = true
  /// `--test` runs the test probes, `--bench` the bench probes, instead of tracing.
  public var mode = RunMode.trace
  public var verbose = false
  public var child: ChildProcess?
  public var format: OutputFormat = .text
  /// `-o FILE`: where results go instead of stdout.
  public var output: FileOutput = .standardOutput
  /// False with BPFTRACE_NO_CPP_DEMANGLE=1.
  public var demangle = true
  /// False with BPFTRACE_NO_USER_SYMBOLS=1.
  public var userSymbols = true
  /// show_debug_info: user stack frames end with `@file:line`.
  public var showDebugInfo = false
  /// `-p PID`: uprobes attach to this process only, and the trace ends when it exits.
  public var targetPID: Int32?
  /// BPFTRACE_CAT_BYTES_MAX: how much of a file cat() prints.
  public var catBytesMax = Configuration.defaultCatBytes
  /// BPFTRACE_PERF_RB_PAGES: pages per CPU of skboutput()'s perf buffers.
  public var perfPages = Configuration.defaultPerfRbPages
  /// `--metrics`: serves the maps while the trace runs.
  public var metrics: MapsEndpoint?
  /// CLOCK_MONOTONIC when swiftrace started: `elapsed` counts from it.
  public var startTimeNanoseconds: UInt64 = 0
  /// `missing_probes`: with warn or ignore, a probe that fails to attach is skipped.
  public var missingProbes: MissingProbes = .error
  /// The run's positional parameters: those the program reads as values are set before loading.
  public var positionalParameters: [String] = []
  /// Where tracefs is (tests give a copy); nil: the system's.
  public var tracefsRoots: [String]?
  /// Whether the tracepoint fields the plan reads are compared with the formats first (not for a
  /// plan compiled by this process against them).
  public var checksTracepointFormats = true
  public init() {}

  /// The options CONFIGURATION gives; the caller adds what only it holds (the child, the output
  /// file, the metrics endpoint, the mode).
  public init(configuration: Configuration) {
    quiet = configuration.quiet
    verbose = configuration.verbose
    format = configuration.format
    targetPID = configuration.targetPID
    userSymbols = configuration.userSymbols
    perfPages = configuration.perfRbPages ?? Configuration.defaultPerfRbPages
    demangle = configuration.cppDemangle
    showDebugInfo = configuration.showDebugInfo
    if let n = configuration.maxCatBytes { catBytesMax = n }
    output.buffering = configuration.buffering
    missingProbes = configuration.missingProbes ?? .error
    printMapsOnExit = configuration.printMapsOnExit
    positionalParameters = configuration.positionalParameters
  }
}

/// Something that shows the maps while the trace runs (`--metrics`), on a thread of its own: the
/// session hands it a reader of its own and goes on draining events.
public protocol MapsEndpoint: AnyObject {
  /// Serves the maps from now on: `maps` lists them, `reader` reads them (on the endpoint's
  /// thread, one call at a time).
  func serve(maps: [MapInfo], reader: MapReader)
  /// Stops serving and closes every socket. The session calls it when the trace ends, before the
  /// maps go away and before a child inherits its descriptors (BPFLink.releaseAfterExit).
  func stop()
}

/// One run of a compiled program: load, BEGIN, attach, print events until told to stop, detach,
/// END, print the maps. Every link and the object are released on every way out.
public final class Session {
  let plan: RunPlan
  let code: BPFObjectCode
  /// Program (function) name of each probe, and of each function watchpoint's setup uprobe, by
  /// probe index.
  let programNames: [Int: String]
  let watchpointSetupNames: [Int: String]
  let options: SessionOptions
  var out: ResultWriter
  /// Where errorf() and warnf() go: stderr, or a test's captured output (`--test`).
  var messages: FileOutput = .standardError
  /// errorf() calls since the count was last reset: a test that calls one fails.
  var errorfCount = 0
  var links: [BPFLink] = []
  /// The USDT probes of each binary a usdt probe attaches to, as the file is now.
  var usdtSitesNow: [String: [USDTSite]] = [:]
  /// The link of an `iter:` probe: reading it runs the iterator (Session+Iterators).
  var iteratorLink: BPFLink?
  /// `skboutput()`'s packets and the PCAP files they go to (Session+Packets).
  var packetReader: PerfBufferReader?
  var pcapFiles: [String: PcapFile] = [:]
  var exitRequested = false
  /// exit(status)'s status: what swiftrace exits with.
  var exitStatus: Int32 = 0
  /// Set when END starts: from then on events print again, even after an exit().
  var endStarted = false
  /// Maps zero() has run on: an all-zero histogram among them prints (empty) instead of not at all.
  let zeroedMaps = ZeroedMaps()
  /// Reads the maps for the session's output, once loaded.
  var mapReader: MapReader?
  /// Breakpoints placed for `watchpoint:FUNCTION+argN` probes, by watched address.
  var watchedAddresses: [UInt64: [(probe: Int, link: BPFLink)]] = [:]
  var formatters: [PrintfFormatter] = []
  /// Lost events already reported, and when the count was last read.
  var lostReported: UInt64 = 0
  /// The probes were stopped by the flag rather than detached: the links are released last.
  var stoppedByFlag = false
  var lostCheckedAt: UInt64 = 0
  /// Maps whose first failed insert was announced, and when the counts were last read.
  var fullAnnounced: Set<Int> = []
  var fullCheckedAt: UInt64 = 0
  /// Set once loaded: actions read and rewrite its maps while events arrive.
  var object: BPFObject?
  let symbolizer: Symbolizer

  public init(plan: RunPlan, options: SessionOptions) {
    self.plan = plan
    self.code = plan.code
    self.programNames = code.programNames(.probe)
    self.watchpointSetupNames = code.programNames(.watchpointSetup)
    self.options = options
    out = ResultWriter(format: options.format, out: options.output)
    StringTrailer.text = plan.stringTrailer
    let names = plan.probes.map(\.name)
    symbolizer = Self.makeSymbolizer(plan, options)
    formatters = plan.printfs.map { PrintfFormatter(info: $0, probeNames: names, symbolizer: symbolizer) }
    symbolizer.readStack = { [unowned self] symbol, id in
      guard let object else { return nil }
      return Self.readStack(object, code, symbol, id)
    }
  }

  /// Why the kernel withholds helpers that write user memory: its lockdown mode (the LSM refuses
  /// bpf_probe_write_user from "integrity" on), when securityfs says so.
  static var lockdownReason: String {
    guard let text = readWholeFile("/sys/kernel/security/lockdown"),
      let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close else {
      return " (kernel lockdown, or a kernel without it)"
    }
    return ": it is locked down (\(text[text.index(after: open)..<close]))"
  }

  /// A symbolizer that knows the program's binaries: the session's, and one for each other thread.
  static func makeSymbolizer(_ plan: RunPlan, _ options: SessionOptions) -> Symbolizer {
    let symbolizer = Symbolizer()
    symbolizer.resolvesUserSymbols = options.userSymbols
    for p in plan.probes { if let file = p.kind.probedFile { symbolizer.knowFile(file) } }
    if let path = options.child?.executablePath { symbolizer.knowFile(path) }
    symbolizer.demanglesNames = options.demangle
    symbolizer.showsDebugInfo = options.showDebugInfo
    return symbolizer
  }

  static func readStack(_ object: BPFObject, _ code: BPFObjectCode, _ symbol: String, _ id: UInt32) -> [UInt8]? {
    guard let name = code.mapSymbols[symbol], let map = object.map(named: name) else { return nil }
    let key = withUnsafeBytes(of: id.littleEndian) { Array($0) }
    return map.lookup(key, perCPU: false)
  }

  /// A reader of the maps with a symbolizer of its own, for `--metrics`' thread.
  func metricsReader(_ object: BPFObject) -> MapReader {
    let symbolizer = Self.makeSymbolizer(plan, options)
    let code = code
    symbolizer.readStack = { symbol, id in Self.readStack(object, code, symbol, id) }
    return MapReader(object: object, mapSymbols: code.mapSymbols, probeNames: plan.probes.map(\.name),
                     symbolizer: symbolizer, zeroed: zeroedMaps)
  }

  /// Returns the exit status.
  public func run() throws(BPFError) -> Int32 {
    BPFObject.verboseLog = options.verbose
    let object = try BPFObject(elf: code.elf, name: "swiftrace")
    // Test and bench probes load only in their mode (the verifier need not see them otherwise).
    for p in plan.probes {
      let wanted: Bool
      switch p.kind {
      case .test: wanted = options.mode == .test
      case .bench: wanted = options.mode == .bench
      default: continue
      }
      if !wanted, let name = programNames[p.index] { object.program(named: name)?.setAutoload(false) }
    }
    // fentry:bpf: the verifier checks each program against the running program it probes.
    var targets: [Int32] = []
    defer { targets.forEach { close($0) } }
    for p in plan.probes {
      guard case .bpfProgram(let id, let function) = p.kind.attachment else { continue }
      targets.append(try program(object, p).setAttachTarget(programID: id, function: function, probe: p.name))
    }
    try setParameters(object)
    do {
      try object.load()
    } catch .verifier(let program, let e, let log) where e == EPERM {
      // This kernel refuses to load fentry/fexit programs at all (the verifier never ran).
      if let probe = probe(ofProgram: program), [.kfunc, .kretfunc].contains(probe.kind.provider) {
        throw .notSupported(probe: probe.name,
                            feature: "this kernel refuses to load kfunc/kretfunc (fentry/fexit) programs (\(errorString(e)))",
                            hint: "use a tracepoint or a rawtracepoint instead")
      }
      throw .verifier(program: program, errno: e, log: log)
    } catch .verifier(let program, let e, let log) where log.contains("cannot use helper bpf_override_return") {
      let probe = probe(ofProgram: program)?.name ?? program
      throw .notSupported(probe: probe, feature: "override() needs a kernel built with CONFIG_BPF_KPROBE_OVERRIDE, and this one is not (\(errorString(e)))",
                          hint: "override() cannot work on this machine")
    } catch .verifier(let program, let e, let log) where log.contains("cannot use helper bpf_probe_write_user") {
      let probe = probe(ofProgram: program)?.name ?? program
      throw .notSupported(probe: probe, feature: "write_user() needs bpf_probe_write_user, which this kernel refuses\(Self.lockdownReason) (\(errorString(e)))",
                          hint: "write_user() cannot work on this machine")
    }
    if options.dryRun { return 0 }
    self.object = object
    mapReader = MapReader(object: object, mapSymbols: code.mapSymbols, probeNames: plan.probes.map(\.name),
                          symbolizer: symbolizer, zeroed: zeroedMaps)
    defer {
      options.metrics?.stop()
      mapReader = nil
      self.object = nil
    }
    options.metrics?.serve(maps: plan.maps, reader: metricsReader(object))

    guard let ringMap = object.map(named: ObjectSymbols.ringBuffer) else {
      throw .system(what: "the object has no event ring buffer", errno: ENOENT)
    }
    let reader = try RingBufferReader(map: ringMap) { [unowned self] record in handle(record) }
    try openPacketOutputs(object)
    defer { packetReader = nil }
    Signals.install()
    if options.mode != .trace { return try runTestsOrBenchmarks(object, reader) }

    if !options.quiet {
      // Test and bench probes are not the trace's (and run only in their modes).
      out.attached(probes: plan.probes.filter { p in
        if case .test = p.kind { return false }
        if case .bench = p.kind { return false }
        return true
      }.count)
      out.flush()
    }
    try writeRunFacts(object)
    for p in plan.probes where p.kind == .begin { try program(object, p).testRun() }
    reader.consume()
    out.flush()

    // Ctrl-C while compiling or loading (the handlers are in from the start): no probe attaches.
    if Signals.stopPending { exitRequested = true }
    // A program of only BEGIN and END probes ends after BEGIN in newer bpftrace's language (0.24
    // and later) instead of waiting for Ctrl-C (0.17).
    if plan.newerSyntax, options.child == nil,
      plan.probes.allSatisfy({ $0.kind == .begin || $0.kind == .end }) {
      exitRequested = true
    }
    if !exitRequested {
      do {
        // In script order where the kernel runs one attach point's programs first attached
        // first, then the others in reverse (ProbeKind.runsLastAttachedFirst).
        // Reversed by attach point as written; the places one wildcard expands to keep their
        // order (they are different places, and the first one written starts first).
        for p in plan.probes where !p.kind.runsLastAttachedFirst { try attachOrSkip(object, p) }
        var groups: [[RunPlan.Probe]] = []
        for p in plan.probes where p.kind.runsLastAttachedFirst {
          if let last = groups.last?.last, last.attachPointRange == p.attachPointRange { groups[groups.count - 1].append(p) }
          else { groups.append([p]) }
        }
        for group in groups.reversed() { for p in group { try attachOrSkip(object, p) } }
      } catch {
        links.forEach { $0.close() }
        throw error
      }
      if getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED") != nil {
        FileOutput.standardError.write("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n")
      }
      options.child?.release()
      if let link = iteratorLink, let iterator = plan.probes.first(where: { $0.kind.isIterator }) {
        try runIterator(iterator, link: link)
      } else {
        eventLoop(reader)
      }
    }

    // The trace has ended: scrapes are answered 503 from here on, and the endpoint's sockets are
    // closed before a child could inherit them.
    options.metrics?.stop()
    // Stop every probe at once (a flag they check first), so that END and the maps see a quiet
    // system; detaching, which takes the kernel ~85 ms per tracepoint, comes after the output.
    if let flag = object.map(named: ObjectSymbols.stoppedSection), flag.valueSize == 8,
       flag.update([0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0]) {
      stoppedByFlag = true
    } else {
      links.forEach { $0.close() }
      links = []
    }
    Signals.restoreDefaults()
    reader.consume()  // what was sent before the stop; after an exit() it is dropped
    consumePackets()
    // A synchronous function watchpoint may have stopped the process just before the trace
    // ended; it must not stay stopped.
    if plan.probes.contains(where: { if case .functionWatchpoint(_, _, _, _, _, false) = $0.kind { return true } else { return false } }),
      let pid = options.targetPID ?? options.child?.pid {
      kill(pid, SIGCONT)
    }
    endStarted = true
    for p in plan.probes where p.kind == .end { try program(object, p).testRun() }
    reader.consume()
    options.child?.terminate()
    reportLostEvents(force: true)
    if lostReported > 0 {
      FileOutput.standardError.write(SystemMessage.warning("\(lostReported) events were lost: the ring buffer was full (raise BPFTRACE_PERF_RB_PAGES)"))
    }
    reportFailedUpdates(final: true)
    out.endOfTrace()
    if options.printMapsOnExit { for info in plan.maps { out.map(snapshot(of: info)) } }
    out.flush()
    if stoppedByFlag && !links.isEmpty {
      if BPFLink.releaseAfterExit() { links.forEach { $0.abandon() } }
      links = []
    }
    return exitStatus
  }

  /// The probe whose program the kernel named (in a load error).
  func probe(ofProgram name: String) -> RunPlan.Probe? {
    plan.probes.first { programNames[$0.index] == name }
  }

  func program(_ object: BPFObject, _ p: RunPlan.Probe) throws(BPFError) -> BPFProgram {
    guard let name = programNames[p.index], let prog = object.program(named: name) else {
      throw .system(what: "the object has no program for \(p.name)", errno: ENOENT)
    }
    return prog
  }

  func attach(_ object: BPFObject, _ p: RunPlan.Probe) throws(BPFError) {
    let prog = try program(object, p)
    switch p.kind.attachment {
    case .none:
      return
    case .tracepoint(let category, let event):
      links.append(try prog.attachTracepoint(category: category, event: event, cookie: UInt64(p.index), probe: p.name))
    case .bySection, .bpfProgram:
      links.append(try prog.attachBySection(probe: p.name))
    case .kprobe(let f, let isReturn):
      links.append(try prog.attachKprobe(function: f, isReturn: isReturn, probe: p.name))
    case .uprobe(let binary, let f, let isReturn):
      let place = UserBinaries.placement(of: f, in: binary)
      links.append(try prog.attachUprobe(binary: binary, function: place.function, offset: place.offset,
                                         isReturn: isReturn, pid: options.targetPID ?? -1, cookie: UInt64(p.index),
                                         probe: p.name))
    case .perfEvent(let everyCPU, let period, let frequency, let hardware, let config):
      for cpu in everyCPU ? Features.onlineCPUs : [0] {
        links.append(try prog.attachPerfEvent(cpu: cpu, period: period, frequency: frequency, hardware: hardware,
                                              config: config, probe: p.name))
      }
    case .usdt(let site):
      guard let offset = site.fileOffset else {
        throw .attach(probe: p.name, errno: ENOENT, reason: "the probe's address is outside the file's segments", hint: nil)
      }
      // The site (its offset and argument locations) came from the binary when compiling; an
      // artefact may run beside another build of it, where that offset could be mid-instruction
      // and the breakpoint would crash the traced program. The file must still have the site.
      if usdtSitesNow[site.binary] == nil { usdtSitesNow[site.binary] = ELFNotes.usdtSites(in: site.binary) ?? [] }
      guard usdtSitesNow[site.binary]!.contains(site) else {
        throw .attach(probe: p.name, errno: 0,
                      reason: "\(site.binary) is not the file the program was compiled against: it has no USDT probe \(site.provider):\(site.name) at file offset 0x\(String(offset, radix: 16)) with the same arguments",
                      hint: "compile the program again where it runs (an artefact carries the probe sites of the files it was built with)")
      }
      links.append(try prog.attachUprobe(binary: site.binary, function: nil, offset: offset, isReturn: false,
                                         referenceCounter: site.semaphoreFileOffset, pid: options.targetPID ?? -1,
                                         probe: p.name))
    case .watchpoint(let address, let length, let mode):
      guard let pid = options.targetPID ?? options.child?.pid else { return }
      links.append(try prog.attachWatchpoint(pid: pid, address: address, length: mode == "x" ? 8 : length,
                                             type: Self.breakpointType(mode), probe: p.name))
    case .functionWatchpoint(let binary, let function):
      // The breakpoint is placed when the function is called (placeWatchpoint); now, the uprobe
      // that reports the address.
      guard let name = watchpointSetupNames[p.index], let setup = object.program(named: name) else {
        throw .system(what: "the object has no setup program for \(p.name)", errno: ENOENT)
      }
      let place = UserBinaries.placement(of: function, in: binary)
      links.append(try setup.attachUprobe(binary: binary, function: place.function, offset: place.offset, isReturn: false,
                                          pid: options.targetPID ?? options.child?.pid ?? -1, probe: p.name))
    case .iterator:
      let link = try prog.attachBySection(probe: p.name)
      iteratorLink = link
      links.append(link)
    }
  }

  /// The run's positional parameters in the object's parameters section (`ParameterLayout`),
  /// before loading: libbpf freezes it then, and the verifier sees the values as constants.
  func setParameters(_ object: BPFObject) throws(BPFError) {
    let layout = plan.parameters
    guard layout.size > 0, let map = object.map(named: ParameterLayout.section) else { return }
    guard map.setInitialValue(layout.bytes(for: options.positionalParameters)) else {
      throw .system(what: "cannot write the positional parameters into the object", errno: errno)
    }
  }

  /// What only this run knows, for the probes that read it (`ObjectSymbols.runFacts`).
  func writeRunFacts(_ object: BPFObject) throws(BPFError) {
    guard let map = object.map(named: ObjectSymbols.runFactsSection) else { return }
    var value: [UInt8] = []
    for fact in RunFact.allCases {
      let word: UInt64
      switch fact {
      case .childPID: word = UInt64(options.child?.pid ?? 0)
      case .startTime: word = options.startTimeNanoseconds
      case .onlineCPUs: word = UInt64(Features.onlineCPUs.count)
      case .possibleCPUs: word = UInt64(max(0, BPFMap.possibleCPUs))
      case .pidNamespaceDevice, .pidNamespaceInode:
        var info = stat()
        guard stat("/proc/self/ns/pid", &info) == 0 else { word = 0; break }
        word = fact == .pidNamespaceDevice ? UInt64(info.st_dev) : UInt64(info.st_ino)
      }
      withUnsafeBytes(of: word.littleEndian) { value += $0 }
    }
    guard map.valueSize == value.count, map.update([0, 0, 0, 0], value) else {
      throw .system(what: "cannot write the run's facts (cpid, the start time) into the object", errno: errno)
    }
  }

  /// Attaches P; under `missing_probes` warn or ignore, a probe that cannot attach is skipped
  /// (with a warning under warn) instead of ending the trace.
  func attachOrSkip(_ object: BPFObject, _ p: RunPlan.Probe) throws(BPFError) {
    do {
      try attach(object, p)
    } catch {
      switch options.missingProbes {
      case .error: throw error
      case .warn: FileOutput.standardError.write(SystemMessage.warning("\(error); skipped (missing_probes = warn)"))
      case .ignore: break
      }
    }
  }

  /// HW_BREAKPOINT_R (1), W (2), RW (3) or X (4).
  static func breakpointType(_ mode: String) -> UInt32 { ["r": 1, "w": 2, "rw": 3, "x": 4][mode] ?? 3 }

  /// `watchpoint:FUNCTION+argN`: the function was called with `address` in its argument. The
  /// breakpoint goes there (once per probe and address), then a process the setup stopped goes on.
  func placeWatchpoint(_ probe: RunPlan.Probe, address: UInt64) {
    guard case .functionWatchpoint(_, _, _, let length, let mode, let async) = probe.kind,
      let pid = options.targetPID ?? options.child?.pid else { return }
    defer { if !async { kill(pid, SIGCONT) } }
    guard watchedAddresses[address, default: []].allSatisfy({ $0.probe != probe.index }), let object,
      let prog = try? program(object, probe) else { return }
    do {
      let link = try prog.attachWatchpoint(pid: pid, address: address, length: mode == "x" ? 8 : length,
                                           type: Self.breakpointType(mode), probe: probe.name)
      watchedAddresses[address, default: []].append((probe.index, link))
    } catch {
      // ENOSPC: every debug register is taken. bpftrace's words, which scripts look for.
      let reason = { if case .attach(_, let e, _, _) = error, e == ENOSPC { return "You are out of watchpoint registers" }
                     else { return "\(error)" } }()
      FileOutput.standardError.write(SystemMessage.error("cannot watch 0x\(String(address, radix: 16)) for \(probe.name): \(reason)"))
      exitRequested = true
    }
  }

  /// `unwatch(address)`: the breakpoints on it go; a later call of the function places them again.
  func unwatch(_ address: UInt64) {
    for (_, link) in watchedAddresses.removeValue(forKey: address) ?? [] { link.close() }
  }

  /// Records handled between two looks at signals, exit() and the child: a few milliseconds' work.
  static let eventsPerBatch = 4096

  /// Waits on the ring buffer, the signal pipe and the child at once, and drains every 10 ms.
  func eventLoop(_ reader: RingBufferReader) {
    defer { consumePackets() }
    var fds = [pollfd(fd: reader.epollFD, events: Int16(POLLIN), revents: 0),
               pollfd(fd: Signals.readFD, events: Int16(POLLIN), revents: 0)]
    if let child = options.child { fds.append(pollfd(fd: child.exitFD, events: Int16(POLLIN), revents: 0)) }
    var targetFD: Int32 = -1
    if let pid = options.targetPID {
      targetFD = swr_pidfd_open(pid)
      if targetFD >= 0 {
        fds.append(pollfd(fd: targetFD, events: Int16(POLLIN), revents: 0))
      } else if errno == ESRCH {
        return  // it exited while the trace started: the trace ends as at its exit
      }
    }
    defer { if targetFD >= 0 { close(targetFD) } }
    var backlog = false
    while !exitRequested {
      // Events do not wake us (see IRGen's sendEvent), so the ring buffer is drained every 10 ms;
      // exit(), signals and the child's exit still wake the poll at once.
      let n = poll(&fds, nfds_t(fds.count), backlog ? 0 : 10)
      if n < 0 && errno != EINTR { break }
      // A bounded batch: when events arrive as fast as they are handled (every syscall traced
      // while other CPUs make syscalls), an unbounded drain never returned, and Ctrl-C, exit()
      // and the child's exit went unseen.
      backlog = reader.consume(upTo: Self.eventsPerBatch)
      consumePackets()
      reportLostEvents(force: false)
      reportFailedUpdates(final: false)
      out.endOfBatch()
      // Whoever read the output has gone (`| head`): end the trace as a signal would.
      if out.readerGone { break }
      if fds[1].revents != 0 {
        let signals = Signals.take()
        if signals.stop { break }
        // SIGUSR1: the self:signal:SIGUSR1 probes run (bpftrace 0.22 and later); without any,
        // every map prints as it is now, as at exit (0.17). Tracing goes on.
        if signals.printMaps {
          let selfProbes = plan.probes.filter { $0.kind == .selfSignal("SIGUSR1") }
          if selfProbes.isEmpty {
            for info in plan.maps { out.map(snapshot(of: info)) }
          } else {
            for p in selfProbes {
              guard let object else { break }
              do { try program(object, p).testRun() } catch {
                FileOutput.standardError.write(SystemMessage.warning("cannot run \(p.name): \(error)"))
              }
            }
            // What the probes printed; a backlog left by the batch above stays one.
            if reader.consume(upTo: Self.eventsPerBatch) { backlog = true }
          }
          out.flush()
        }
      }
      // The -c child or the -p process exited; what was sent until then is drained once the
      // probes have stopped (after the loop).
      if fds[2...].contains(where: { $0.revents != 0 }) { break }
    }
  }

  func handle(_ record: UnsafeRawBufferPointer) {
    guard record.count >= 8 else { return }
    let id = record.loadUnaligned(as: UInt64.self)
    if id == AsyncEventID.exit {
      // The first exit() decides the status, as the first one ends the trace.
      if !exitRequested, record.count >= 16 { exitStatus = Int32(truncatingIfNeeded: u64(Array(record), 8) & 0xff) }
      exitRequested = true
    } else if exitRequested && !endStarted {
      // Output of probes that ran after exit() (on other CPUs, before they saw the stop flag) is
      // not the trace's: bpftrace prints nothing that happened after the exit event.
      return
    } else if id < formatters.count {
      let formatter = formatters[Int(id)]
      switch formatter.info.kind {
      case .printf: out.printf(record, formatter)
      case .cat: out.cat(FileActions.cat(formatter.format(record), limit: options.catBytesMax))
      case .errorf, .warnf:
        // On stderr, located at the call; what was printed before it comes first.
        out.flush()
        let error = formatter.info.kind == .errorf
        if error { errorfCount += 1 }
        messages.write(DiagnosticRenderer(source: plan.source).render([
          Diagnostic(error ? .error : .warning, id: error ? .runtimeErrorf : .runtimeWarnf, formatter.format(record),
                     at: formatter.info.range)
        ]))
      case .system:
        // After Ctrl-C (or SIGTERM), a backlog of commands is dropped, not worked through: the trace
        // ends within moments, as bpftrace's does. END's own commands still run.
        if Signals.stopPending && !endStarted { return }
        out.flush()
        out.system(FileActions.system(formatter.format(record)))
      }
    } else if id >= AsyncEventID.watchpointBase, Int(id - AsyncEventID.watchpointBase) < plan.probes.count,
      record.count >= 16 {
      placeWatchpoint(plan.probes[Int(id - AsyncEventID.watchpointBase)], address: u64(Array(record), 8))
    } else if id >= AsyncEventID.helperErrorBase, Int(id - AsyncEventID.helperErrorBase) < code.helperErrorSites.count {
      let site = code.helperErrorSites[Int(id - AsyncEventID.helperErrorBase)]
      let rc = Int64(bitPattern: u64(Array(record), 8))
      out.helperError(site.helper, rc: rc, range: site.range, source: plan.source)
    } else if id >= AsyncEventID.actionBase, id - AsyncEventID.actionBase < plan.actions.count {
      perform(plan.actions[Int(id - AsyncEventID.actionBase)], Array(record))
    }
  }

  /// print, clear and zero, carried out when their event arrives, as bpftrace does.
  func perform(_ action: AsyncAction, _ event: [UInt8]) {
    switch action {
    case .printMap(let name):
      guard let info = plan.map(named: name) else { return }
      let top = Int(clamping: u64(event, 8)), divisor = u64(event, 16)
      out.map(snapshot(of: info), top: top, divisor: divisor)
    case .printValue(let type):
      // print(kstack) indents its frames as printf does (8 spaces), not as map keys do (4).
      if case .symbol(let kind) = type {
        out.value(.string(symbolizer.text(kind, event, 8, context: .printf)))
        return
      }
      out.value(MapDecoder.plain(type, event, 8, probeNames: plan.probes.map(\.name), symbolizer: symbolizer))
    case .join(let separator, let size):
      var parts: [String] = []
      for i in 0..<JoinLimits.count {
        let text = cString(event, 8 + i * size, size)
        if text.isEmpty { break }
        parts.append(text)
      }
      out.join(parts.joined(separator: separator))
    case .time(let format):
      var now = timespec()
      clock_gettime(CLOCK_REALTIME, &now)
      out.time(Symbolizer.strftime(format, nanoseconds: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)))
    case .unwatch:
      unwatch(u64(event, 8))
    case .clearMap(let name), .zeroMap(let name):
      guard let info = plan.map(named: name), let map = kernelMap(info) else { return }
      let perCPU = info.storage != .hash
      let clear = { if case .clearMap = action { return true } else { return false } }()
      if !clear { zeroedMaps.insert(name) }
      for key in map.keys() {
        if clear && info.storage != .perCPUArray { map.delete(key) } else { map.zeroValue(key, perCPU: perCPU) }
      }
    }
  }

  /// Inserts refused because a map was full: bpftrace drops them silently; they are counted in
  /// BPF per map. While tracing, the first failure of each map is announced (checked every
  /// second); when the trace ends, every map's total is reported.
  func reportFailedUpdates(final: Bool) {
    let ms = monotonicNanoseconds() / 1_000_000
    guard final || ms >= fullCheckedAt + 1000 else { return }
    fullCheckedAt = ms
    guard let map = object?.map(named: ObjectSymbols.failedUpdates) else { return }
    for (index, info) in plan.maps.enumerated() where info.storage != .perCPUArray {
      if !final && fullAnnounced.contains(index) { continue }
      guard let total = counterTotal(map, slot: index), total > 0 else { continue }
      // What sets the size: the map's own declaration (`let @m = hash(N)`), else the setting.
      let raise = info.declaredEntries.map { "raise the \($0) entries its declaration gives" } ?? "raise BPFTRACE_MAP_KEYS_MAX"
      if final {
        FileOutput.standardError.write(SystemMessage.warning("\(total) updates of \(info.name) failed: the map was full (\(raise))"))
      } else {
        fullAnnounced.insert(index)
        FileOutput.standardError.write(SystemMessage.warning("\(info.name) is full: new keys are dropped (\(raise)); the count follows at exit"))
      }
    }
  }

  /// Slot `slot` of a per-CPU array of u64 counters, summed over CPUs.
  func counterTotal(_ map: BPFMap, slot: Int) -> UInt64? {
    let key = withUnsafeBytes(of: UInt32(slot).littleEndian) { Array($0) }
    guard let bytes = map.lookup(key, perCPU: true) else { return nil }
    return stride(from: 0, to: bytes.count, by: 8).reduce(0) { $0 &+ u64(bytes, $1) }
  }

  /// Reads the per-CPU lost-event counts (at most every 100 ms while events flow) and reports
  /// what is new.
  func reportLostEvents(force: Bool) {
    let ms = monotonicNanoseconds() / 1_000_000
    guard force || ms >= lostCheckedAt + 100 else { return }
    lostCheckedAt = ms
    guard let map = object?.map(named: ObjectSymbols.lostEvents), let total = counterTotal(map, slot: 0) else { return }
    if total > lostReported {
      out.lost(total - lostReported)
      lostReported = total
    }
  }

  func kernelMap(_ info: MapInfo) -> BPFMap? { mapReader?.kernelMap(info) }

  /// A map's contents now, reduced over CPUs.
  func snapshot(of info: MapInfo) -> MapSnapshot {
    mapReader?.snapshot(of: info) ?? MapSnapshot(info: info, entries: [])
  }
}

/// CLOCK_MONOTONIC in nanoseconds (the clock of BPF's nsecs).
public func monotonicNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
