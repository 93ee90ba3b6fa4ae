import Foundation
import SwiftraceTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `--metrics` facing hostile clients and large maps: connections and time are bounded, a request
/// that is not HTTP gets 400 and the connection ends, pipelined requests are all answered, scrapes
/// never hold up the events, and the port is free once swiftrace has exited.
@Suite(.serialized, .needsRoot) struct MetricsHostileTests {
  /// A TCP connection to 127.0.0.1:`port` whose reads give up after `timeout` seconds, or nil.
  static func connect(_ port: Int, timeout: Int = 5) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
      close(fd)
      return nil
    }
    var limit = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    return fd
  }

  static func send(_ fd: Int32, _ text: String) {
    _ = text.withCString { write(fd, $0, strlen($0)) }
  }

  /// What arrives until the server closes the connection (`closed`) or a read times out.
  static func receive(_ fd: Int32) -> (text: String, closed: Bool) {
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = read(fd, &buffer, buffer.count)
      if n == 0 { return (String(decoding: data, as: UTF8.self), true) }
      if n < 0 { return (String(decoding: data, as: UTF8.self), false) }
      data += buffer[0..<n]
    }
  }

  /// CPU seconds the process has used (user and system).
  static func cpuSeconds(_ pid: pid_t) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
    return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  /// 300 idle connections, a client that never finishes its request, garbage and pipelining: the
  /// server keeps answering, holds at most 64 connections, does not spin, closes the slow and the
  /// bad ones, and cat() in the script still opens its file (idle connections used up every
  /// descriptor, then the server spun at 100% CPU and cat() failed).
  @Test func idleSlowAndBadClientsAreBounded() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let port = MetricsTests.freePort()
    nonisolated(unsafe) var fresh = "", descriptors = 0, cpu = 0.0, slowClosed = false, slowAfter = 0.0
    nonisolated(unsafe) var bad = (text: "", closed: false), pipelined = ""
    let script = """
      tracepoint:syscalls:sys_enter_getppid { @calls = count(); }
      interval:ms:200 { cat("/proc/sys/kernel/ostype"); }
      """
    let run = try runProcess(swiftraceExecutable, ["--metrics", "127.0.0.1:\(port)", "-e", script],
                             timeout: 60, interruptAfter: 1.5, inspectAfter: 1.0) { pid in
      var idle: [Int32] = []
      defer { idle.forEach { close($0) } }
      for _ in 0..<300 { if let fd = Self.connect(port) { idle.append(fd) } }
      guard let slow = Self.connect(port, timeout: 10) else { return }
      defer { close(slow) }
      Self.send(slow, "GET /metr")
      let slowSince = Date()
      if let fd = Self.connect(port) {
        Self.send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        fresh = Self.receive(fd).text
        close(fd)
      }
      if let fd = Self.connect(port) {
        Self.send(fd, "GARBAGE\r\n\r\n")
        bad = Self.receive(fd)
        close(fd)
      }
      if let fd = Self.connect(port, timeout: 2) {
        let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        Self.send(fd, request + request + "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n" + request)
        pipelined = Self.receive(fd).text
        close(fd)
      }
      descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
      let before = Self.cpuSeconds(pid)
      sleep(1)
      cpu = Self.cpuSeconds(pid) - before
      slowClosed = Self.receive(slow).closed
      slowAfter = Date().timeIntervalSince(slowSince)
    }
    #expect(run.status == 0, "\(run.stderr)")
    #expect(fresh.hasPrefix("HTTP/1.1 200 OK") && fresh.contains("swiftrace_calls_total"), "\(fresh.prefix(300))")
    #expect(descriptors > 0 && descriptors < 64 + 50, "swiftrace holds \(descriptors) descriptors")
    #expect(cpu < 0.5, "swiftrace used \(cpu) s of CPU in 1 s with idle clients")
    #expect(slowClosed && slowAfter < 8, "a request never finished is closed after 5 s (closed: \(slowClosed), \(slowAfter) s)")
    #expect(bad.text.hasPrefix("HTTP/1.1 400") && bad.closed, "\(bad)")
    #expect(pipelined.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 3 && pipelined.contains("HTTP/1.1 404"),
            "\(pipelined.prefix(400))")
    #expect(!run.stderr.contains("failed to open file"), "\(run.stderr)")
    #expect(run.stdout.components(separatedBy: "Linux").count > 3)
  }

  /// The listening socket is closed before the child that detaches the probes after exit starts:
  /// that child held the port for as long as detaching took, and a restart could not bind it.
  @Test func thePortIsFreeOnceSwiftraceHasExited() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let port = MetricsTests.freePort()
    // About 20 tracepoints: detaching them takes the child a second or two after swiftrace exits.
    let run = try runProcess(swiftraceExecutable, [
      "--metrics", "127.0.0.1:\(port)", "-e",
      "tracepoint:syscalls:sys_enter_get* { @[probe] = count(); } interval:ms:300 { exit(); }",
    ], timeout: 60)
    #expect(run.status == 0, "\(run.stderr)")
    let connection = Self.connect(port)
    if let connection { close(connection) }
    #expect(connection == nil, "something still listens on the port after swiftrace exited")
  }

  /// A scrape of a 200,000-key map runs beside the events, not in their way: a steady stream of
  /// printf events through a small ring buffer loses nothing while it runs (a scrape used to stop
  /// the draining, and 78% of such a stream was lost).
  @Test func scrapesDoNotHoldUpEvents() throws {
    guard isRoot else { try Test.cancel("needs root") }
    let port = MetricsTests.freePort()
    let me = getpid()
    let script = """
      tracepoint:syscalls:sys_enter_getppid /pid == \(me)/ { @keys[nsecs] = 1; }
      tracepoint:syscalls:sys_enter_getpid /pid == \(me)/ { printf("event\\n"); }
      END { clear(@keys); }
      """
    nonisolated(unsafe) var sent = 0, scrapeSeconds = 0.0, scraped = 0
    let run = try runProcess(swiftraceExecutable, ["--metrics", "127.0.0.1:\(port)", "-e", script],
                             environment: ["BPFTRACE_MAP_KEYS_MAX": "300000", "BPFTRACE_PERF_RB_PAGES": "8"],
                             timeout: 120, interruptAfter: 1.5, inspectAfter: 1.0) { _ in
      for _ in 0..<200_000 { _ = getppid() }
      let done = DispatchSemaphore(value: 0)
      let start = Date()
      var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/metrics")!, timeoutInterval: 60)
      request.setValue("text/plain", forHTTPHeaderField: "Accept")
      URLSession.shared.dataTask(with: request) { data, _, _ in
        scraped = data?.count ?? 0
        scrapeSeconds = Date().timeIntervalSince(start)
        done.signal()
      }.resume()
      // About 5,000 events a second while the scrape runs: a 64 KiB ring buffer holds half a
      // second of them, and the session drains it every 10 ms.
      while done.wait(timeout: .now()) == .timedOut {
        for _ in 0..<50 { _ = getpid() }
        sent += 50
        usleep(10_000)
      }
    }
    #expect(run.status == 0, "\(run.stderr)")
    #expect(scraped > 200_000 * 20, "the scrape returned \(scraped) bytes")
    let printed = run.stdout.components(separatedBy: "event\n").count - 1
    #expect(!run.stderr.contains("lost"), "\(run.stderr)")
    #expect(printed >= sent, "\(printed) of \(sent) events printed during a \(scrapeSeconds) s scrape")
  }
}
