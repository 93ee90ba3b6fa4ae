import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftraceRuntime
import SwiftraceSema

/// `--metrics HOST:PORT`: an HTTP server (SwiftNIO, one event-loop thread) whose `GET /metrics`
/// answers with the live values of all maps as OpenMetrics text (or Prometheus' older text format
/// for clients that do not ask for OpenMetrics).
///
/// The maps are read and rendered on a thread of the server's own (`scrapes`) with a reader the
/// session gave it, never on NIO's thread (a large map would stall every connection) nor on the
/// session's (it would stop draining events: 78% of a printf stream was lost during scrapes of a
/// 200,000-key map). Requests that arrive while a scrape runs share the next one.
///
/// What a client may take is bounded (`Limits`): connections, the time to send a request, the time
/// to read the answer; an idle keep-alive connection is closed after a few seconds.
public final class MetricsServer: MapsEndpoint, @unchecked Sendable {
  /// Where the server listens (the port is the real one when 0 was asked for).
  public let address: String
  private let group: MultiThreadedEventLoopGroup
  private let channel: Channel
  private let scrapes: Scrapes

  public enum Limits {
    /// Connections served at once; at the limit a new one replaces the oldest that is not waiting
    /// for an answer, so that idle clients cannot lock the others out or use up descriptors.
    public static let connections = 64
    /// From connecting (or the previous answer) to a complete request; also how long an idle
    /// keep-alive connection stays open.
    public static let request = TimeAmount.seconds(5)
    /// To take an answer off the server.
    public static let answer = TimeAmount.seconds(30)
  }

  public struct BindError: Error, CustomStringConvertible {
    public let endpoint: String
    public let reason: String
    public var description: String { "--metrics: cannot listen on \(endpoint): \(reason)" }
  }

  /// `endpoint` is HOST:PORT (`[::1]:9090` for IPv6).
  public init(endpoint: String) throws {
    guard let (host, port) = Self.parse(endpoint: endpoint) else {
      throw BindError(endpoint: endpoint, reason: "expected HOST:PORT")
    }
    let scrapes = Scrapes()
    self.scrapes = scrapes
    group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let connections = Connections()
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .serverChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(ConnectionLimiter(connections: connections))
        }
      }
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
          try channel.pipeline.syncOperations.addHandler(MetricsHandler(scrapes: scrapes, connections: connections))
        }
      }
    do {
      channel = try bootstrap.bind(host: host, port: port).wait()
    } catch {
      try? group.syncShutdownGracefully()
      throw BindError(endpoint: endpoint, reason: Self.sentence(error))
    }
    let actualPort = channel.localAddress?.port ?? port
    address = host.contains(":") ? "[\(host)]:\(actualPort)" : "\(host):\(actualPort)"
  }

  /// A bind failure as a plain sentence ("Address already in use"), not NIO's call description.
  static func sentence(_ error: Error) -> String {
    if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
    if let unknown = error as? SocketAddressError.UnknownHost { return "unknown host '\(unknown.host)' (\(unknown.errorDescription))" }
    return "\(error)"
  }

  /// HOST:PORT as the server binds it: `[::1]:9466` is IPv6, an empty host is every address; nil
  /// when there is no port number.
  public static func parse(endpoint: String) -> (host: String, port: Int)? {
    guard let colon = endpoint.lastIndex(of: ":"), let port = UInt16(endpoint[endpoint.index(after: colon)...]) else {
      return nil
    }
    var host = String(endpoint[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, Int(port))
  }

  public func serve(maps: [MapInfo], reader: MapReader) {
    scrapes.start(maps: maps, reader: reader)
  }

  /// Stops listening and closes every connection; requests still waiting are answered with 503.
  /// Returns once no scrape is running. Safe to call more than once.
  public func stop() {
    guard scrapes.close() else { return }
    try? channel.close().wait()
    try? group.syncShutdownGracefully()
  }
}

/// Requests waiting for a scrape, and the thread that makes them: NIO's thread adds, the scrape
/// thread (a one-thread pool) takes.
final class Scrapes: @unchecked Sendable {
  private let lock = NIOLock()
  private let pool = NIOThreadPool(numberOfThreads: 1)
  struct Request {
    let promise: EventLoopPromise<String>
    let format: OpenMetricsPrinter.Format
  }
  private var pending: [Request] = []
  private var maps: [MapInfo] = []
  private var reader: MapReader?
  private var running = false
  private var closed = false

  init() { pool.start() }

  func start(maps: [MapInfo], reader: MapReader) {
    let go = lock.withLock {
      self.maps = maps
      self.reader = reader
      return claimRun()
    }
    if go { launch() }
  }

  /// A promise of the current maps' text.
  func request(on loop: EventLoop, format: OpenMetricsPrinter.Format) -> EventLoopFuture<String> {
    let promise = loop.makePromise(of: String.self)
    let (accepted, go) = lock.withLock { () -> (Bool, Bool) in
      if closed { return (false, false) }
      pending.append(Request(promise: promise, format: format))
      return (true, claimRun())
    }
    if !accepted { promise.fail(ChannelError.ioOnClosedChannel) }
    if go { launch() }
    return promise.futureResult
  }

  /// Under the lock: whether the caller starts a scrape (one runs at a time, and takes every
  /// request waiting when it starts and while it runs).
  private func claimRun() -> Bool {
    guard !running, !closed, reader != nil, !pending.isEmpty else { return false }
    running = true
    return true
  }

  private func launch() {
    pool.submit { [self] _ in
      while true {
        let (waiting, mapsNow, readerNow) = lock.withLock { () -> ([Request], [MapInfo], MapReader?) in
          let taken = closed ? [] : pending
          pending = closed ? pending : []
          if taken.isEmpty { running = false }
          return (taken, self.maps, self.reader)
        }
        guard !waiting.isEmpty, let readerNow else { return }
        let snapshots = mapsNow.map(readerNow.snapshot(of:))
        var texts: [OpenMetricsPrinter.Format: String] = [:]
        for request in waiting {
          if texts[request.format] == nil { texts[request.format] = OpenMetricsPrinter.print(snapshots, format: request.format) }
          request.promise.succeed(texts[request.format]!)
        }
      }
    }
  }

  /// Refuses new requests and fails the waiting ones, then waits for a running scrape to end (its
  /// reader reads maps that are about to go away). False if already closed.
  func close() -> Bool {
    let (first, waiting) = lock.withLock { () -> (Bool, [Request]) in
      if closed { return (false, []) }
      closed = true
      let taken = pending
      pending = []
      return (true, taken)
    }
    for request in waiting { request.promise.fail(ChannelError.ioOnClosedChannel) }
    if first { try? pool.syncShutdownGracefully() }
    return first
  }
}
