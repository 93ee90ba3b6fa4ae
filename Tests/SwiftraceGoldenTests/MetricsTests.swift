import Foundation
import SwiftraceTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `--metrics`: the maps served while tracing, checked by promtool and scraped by a real Prometheus
/// server (Debian's prometheus package) on loopback, whose query API must then show the series.
@Suite(.serialized, .needsRoot) struct MetricsTests {
  static let script = """
    tracepoint:syscalls:sys_enter_getppid { @getppid_calls[comm] = count(); @pid_values = hist(pid); }
    """

  /// A TCP socket bound to a port of 127.0.0.1 the kernel picked: the descriptor and the port.
  static func loopbackSocket() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1 }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
  }

  /// A port that is free now.
  static func freePort() -> Int {
    let (fd, port) = loopbackSocket()
    close(fd)
    return port
  }

  /// GET `url` with an optional Accept header: status, Content-Type and body; retried for up to
  /// 10 s while nothing listens yet (a slow machine may still be compiling).
  static func get(_ url: String, accept: String? = nil) -> (status: Int, type: String, body: String)? {
    for _ in 0..<40 {
      if let answer = getOnce(url, accept: accept) { return answer }
      usleep(250_000)
    }
    return nil
  }

  static func getOnce(_ url: String, accept: String?) -> (status: Int, type: String, body: String)? {
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: 5)
    if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (Int, String, String)?
    URLSession.shared.dataTask(with: request) { data, response, _ in
      if let http = response as? HTTPURLResponse {
        result = (http.statusCode, http.value(forHTTPHeaderField: "Content-Type") ?? "",
                  String(decoding: data ?? Data(), as: UTF8.self))
      }
      done.signal()
    }.resume()
    done.wait()
    return result
  }

  static func makeEvents() { for _ in 0..<200 { _ = getppid() } }

  @Test func servesMapsThatPromtoolAccepts() throws {
    let port = Self.freePort()
    nonisolated(unsafe) var text: (status: Int, type: String, body: String)?
    nonisolated(unsafe) var openMetrics: (status: Int, type: String, body: String)?
    nonisolated(unsafe) var missing: (status: Int, type: String, body: String)?
    let run = try runProcess(swiftraceExecutable, ["--metrics", "127.0.0.1:\(port)", "-e", Self.script],
                             timeout: 30, interruptAfter: 1.0, inspectAfter: 0.8) { _ in
      Self.makeEvents()
      text = Self.get("http://127.0.0.1:\(port)/metrics")
      openMetrics = Self.get("http://127.0.0.1:\(port)/metrics", accept: "application/openmetrics-text;version=1.0.0")
      missing = Self.get("http://127.0.0.1:\(port)/")
    }
    #expect(run.status == 0, "\(run.stderr)")
    // The exit-time maps still print as usual.
    #expect(run.stdout.contains("@getppid_calls["))
    let body = try #require(text).body
    #expect(text?.type == "text/plain; version=0.0.4; charset=utf-8")
    #expect(body.contains("# TYPE swiftrace_getppid_calls_total counter\n"))
    #expect(body.contains("swiftrace_pid_values_bucket{le=\"+Inf\"} "))
    #expect(openMetrics?.type == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    #expect(openMetrics?.body.hasSuffix("# EOF\n") == true)
    #expect(openMetrics?.body.contains("# TYPE swiftrace_getppid_calls counter\n") == true)
    #expect(missing?.status == 404)

    let check = try runProcessWithInput("/usr/bin/promtool", ["check", "metrics"], input: body)
    #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)\n\(body)")
  }

  /// A malformed endpoint is a usage error; a port in use is one clear line, before anything loads.
  @Test func badEndpointsAreRefused() throws {
    let malformed = try runProcess(swiftraceExecutable, ["--metrics", "localhost", "-e", "BEGIN { exit(); }"])
    #expect(malformed.status == 1)
    #expect(malformed.stderr.contains("--metrics wants HOST:PORT"))
    let (listener, port) = Self.loopbackSocket()
    defer { close(listener) }
    #expect(port != 0 && listen(listener, 1) == 0)
    let taken = try runProcess(swiftraceExecutable, ["--metrics", "127.0.0.1:\(port)", "-e", "BEGIN { printf(\"ran\\n\"); exit(); }"])
    #expect(taken.status == 1)
    // A plain sentence, not the name of NIO's call.
    #expect(taken.stderr == "ERROR: --metrics: cannot listen on 127.0.0.1:\(port): Address already in use\n", "\(taken.stderr)")
    let unknown = try runProcess(swiftraceExecutable, ["--metrics", "no-such-host.invalid:9", "-e", "BEGIN { exit(); }"])
    #expect(unknown.status == 1)
    #expect(unknown.stderr.hasPrefix("ERROR: --metrics: cannot listen on no-such-host.invalid:9: unknown host 'no-such-host.invalid' ("),
            "\(unknown.stderr)")
    #expect(!taken.stdout.contains("ran"))
  }

  /// `:PORT` listens on every interface and `:0` on a port the kernel picks: both are said, with
  /// the address and port really used (they were silent).
  @Test func unspecifiedAddressesAreSaid() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let any = try runProcess(swiftraceExecutable, ["--metrics", ":0", "-e", "BEGIN { exit(); }"])
    #expect(any.status == 0)
    #expect(any.stderr.contains("swiftrace: serving the maps at http://0.0.0.0:") && any.stderr.contains("(every interface"),
            "\(any.stderr)")
    #expect(!any.stderr.contains("0.0.0.0:0/"), "the chosen port, not 0: \(any.stderr)")
    let loopback = try runProcess(swiftraceExecutable, ["--metrics", "127.0.0.1:0", "-e", "BEGIN { exit(); }"])
    #expect(loopback.stderr.contains("swiftrace: serving the maps at http://127.0.0.1:") && !loopback.stderr.contains("every interface"),
            "\(loopback.stderr)")
  }

  @Test func prometheusScrapesTheMaps() throws {
    let port = Self.freePort(), prometheusPort = Self.freePort()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-prometheus-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = dir.appendingPathComponent("prometheus.yml")
    try """
      global:
        scrape_interval: 1s
      scrape_configs:
        - job_name: swiftrace
          static_configs:
            - targets: ['127.0.0.1:\(port)']
      """.write(to: config, atomically: true, encoding: .utf8)

    nonisolated(unsafe) var series: [String] = []
    nonisolated(unsafe) var buckets = ""
    nonisolated(unsafe) var prometheusLog = ""
    let run = try runProcess(swiftraceExecutable, ["--metrics", "127.0.0.1:\(port)", "-e", Self.script],
                             timeout: 60, interruptAfter: 1.0, inspectAfter: 0.5) { _ in
      let prometheus = Process()
      prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
      prometheus.arguments = ["--config.file=\(config.path)", "--storage.tsdb.path=\(dir.path)/data",
                              "--web.listen-address=127.0.0.1:\(prometheusPort)"]
      let log = dir.appendingPathComponent("prometheus.log")
      FileManager.default.createFile(atPath: log.path, contents: nil)
      prometheus.standardOutput = try? FileHandle(forWritingTo: log)
      prometheus.standardError = try? FileHandle(forWritingTo: log)
      guard (try? prometheus.run()) != nil else { return }
      defer {
        kill(prometheus.processIdentifier, SIGKILL)
        prometheus.waitUntilExit()
        prometheusLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
      }
      // Until Prometheus has scraped a sample with our events in it (at most 30 s).
      let query = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query="
      for _ in 0..<60 {
        Self.makeEvents()
        if let answer = Self.get(query + "swiftrace_getppid_calls_total"), answer.status == 200,
           answer.body.contains("\"comm\"") || answer.body.contains("\"key\"") {
          series = [answer.body]
          buckets = Self.get(query + "swiftrace_pid_values_bucket")?.body ?? ""
          break
        }
        usleep(500_000)
      }
    }
    #expect(run.status == 0, "\(run.stderr)")
    let answer = try #require(series.first, "Prometheus never had the series; its log:\n\(prometheusLog)")
    // The series carries the map key as a label, the job's labels, and a value.
    #expect(answer.contains("\"__name__\":\"swiftrace_getppid_calls_total\""))
    #expect(answer.contains("\"job\":\"swiftrace\""))
    #expect(answer.contains("\"key\":\""))
    #expect(buckets.contains("\"le\":\"+Inf\""))
  }
}

/// Runs `executable` with `input` on its stdin.
func runProcessWithInput(_ executable: String, _ arguments: [String], input: String) throws -> ProcessResult {
  let file = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrace-input-\(UUID().uuidString)")
  try input.write(to: file, atomically: true, encoding: .utf8)
  defer { try? FileManager.default.removeItem(at: file) }
  return try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" < \"$SWIFTRACE_INPUT\"", executable] + arguments,
                        environment: ["SWIFTRACE_INPUT": file.path])
}
