import Glibc
import SwiftraceBPF
import SwiftraceBasics
import SwiftraceMetrics
import SwiftraceRuntime
import SwiftraceSema

/// What one run asks for besides the plan: where its output goes, what it serves, and how it runs.
public struct RunRequest {
  /// The run's settings: the plan's own, with this run's command line and environment over them
  /// (`Configuration.forRun(builtWith:parameters:)`).
  public var configuration: Configuration
  public var mode = RunMode.trace
  public var dryRun = false
  /// `-o FILE`
  public var outputPath: String?
  /// `--metrics HOST:PORT`
  public var metricsEndpoint: String?
  /// CLOCK_MONOTONIC when the process started: `elapsed` counts from it.
  public var startTime: UInt64
  /// Where tracefs is, when not the system's (the formats the run checks the program against).
  public var tracefsRoots: [String]?
  /// The plan was compiled by this process just now, against this kernel's formats and types.
  public var compiledHere = false

  public init(configuration: Configuration, startTime: UInt64) {
    self.configuration = configuration
    self.startTime = startTime
  }
}

/// Runs a plan: the one way every run goes, whether its plan was compiled just now, read from the
/// compile cache, or read from an artefact (`swiftrace-run`). Nothing here compiles.
public enum Runner {
  /// The exit status; every problem is written to standard error first.
  public static func run(_ plan: RunPlan, _ request: RunRequest) -> Int32 {
    // An artefact may run where nothing mounted tracefs yet: tracepoints attach through it.
    if request.tracefsRoots == nil, plan.probes.contains(where: { if case .tracepoint = $0.kind { true } else { false } }) {
      mountTracefsIfNeeded()
    }
    let configuration = request.configuration
    var options = SessionOptions(configuration: configuration)
    options.dryRun = request.dryRun
    options.mode = request.mode
    options.startTimeNanoseconds = request.startTime
    options.tracefsRoots = request.tracefsRoots
    options.checksTracepointFormats = !request.compiledHere
    do {
      // The child is started held: it runs its command once the probes are attached.
      if let command = configuration.childCommand, !request.dryRun {
        options.child = try ChildProcess(command: command)
      }
      if let path = request.outputPath, !request.dryRun {
        let buffering = options.output.buffering
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return fail("cannot write '\(path)': \(errorString(errno))") }
        options.output = FileOutput(fd: fd)
        options.output.buffering = buffering
      }
    } catch {
      return fail("\(error)")
    }
    let metricsServer: MetricsServer?
    do {
      metricsServer = request.dryRun ? nil : try startMetrics(request.metricsEndpoint, verbose: configuration.verbose)
    } catch {
      return fail("\(error)")
    }
    defer { metricsServer?.stop() }
    options.metrics = metricsServer
    do {
      return try Session.run(plan, options: options)
    } catch {
      FileOutput.standardOutput.flush()
      FileOutput.standardError.write(error.report(source: plan.source, verbose: configuration.verbose))
      return 1
    }
  }

  /// Whether TEXT is a `--metrics` endpoint (HOST:PORT). Asked here rather than of SwiftraceMetrics
  /// by swiftrace-run's main: importing that module there links all of Foundation (about 9 MB of
  /// the runner's memory) into the runner.
  public static func isMetricsEndpoint(_ text: String) -> Bool { MetricsServer.parse(endpoint: text) != nil }

  /// `--metrics`: the endpoint, serving once the session hands it the maps.
  static func startMetrics(_ endpoint: String?, verbose: Bool) throws -> MetricsServer? {
    guard let endpoint else { return nil }
    let server = try MetricsServer(endpoint: endpoint)
    // Said always when it is not what was written: every interface (`:PORT`), or a port the
    // kernel chose (`:0`); with -v in any case.
    let everyInterface = endpoint.hasPrefix(":"), chosenPort = endpoint.hasSuffix(":0")
    if verbose || everyInterface || chosenPort {
      let reach = everyInterface ? " (every interface: give an address such as 127.0.0.1:PORT to limit it)" : ""
      FileOutput.standardError.write("swiftrace: serving the maps at http://\(server.address)/metrics\(reach)\n")
    }
    return server
  }

  static func fail(_ message: String) -> Int32 {
    FileOutput.standardOutput.flush()
    FileOutput.standardError.write(SystemMessage.error(message))
    return 1
  }

  /// Tracepoint formats live in tracefs; mount it where the kernel expects it when it is missing
  /// (as root; otherwise the checker reports the tracepoint as not found).
  public static func mountTracefsIfNeeded() {
    if !TracefsCatalog().isAvailable {
      _ = mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nil)
    }
  }
}
