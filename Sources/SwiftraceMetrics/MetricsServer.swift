import CLibBPF
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftraceRuntime

/// `--metrics HOST:PORT`: an HTTP server (SwiftNIO, one event-loop thread) whose `GET /metrics`
/// answers with the live values of all maps as OpenMetrics text (or Prometheus' older text format
/// for clients that do not ask for OpenMetrics).
///
/// The maps are read on the session's thread, never on NIO's: a request queues a promise and
/// writes to a pipe whose other end the session's event loop polls; the session renders the maps (with its
/// symbolizer and decoders, which are not shared between threads) and fulfils every queued promise.
public final class MetricsServer: MapsEndpoint, @unchecked Sendable {
  public let wakeFD: Int32
  private let signalFD: Int32
  /// Where the server listens (the port is the real one when 0 was asked for).
  public let address: String
  private let group: MultiThreadedEventLoopGroup
  private let channel: Channel
  private let queue: RequestQueue

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
    var fds: [Int32] = [-1, -1]
    guard swr_pipe2(&fds, O_CLOEXEC | O_NONBLOCK) == 0 else {
      throw BindError(endpoint: endpoint, reason: "pipe: \(String(cString: strerror(errno)))")
    }
    wakeFD = fds[0]
    signalFD = fds[1]
    let queue = RequestQueue(signalFD: fds[1])
    self.queue = queue
    group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    var bound: Channel?
    do {
      bound = try bootstrap.childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
          try channel.pipeline.syncOperations.addHandler(MetricsHandler(queue: queue))
        }
      }.bind(host: host, port: port).wait()
    } catch {
      try? group.syncShutdownGracefully()
      close(wakeFD)
      close(signalFD)
      throw BindError(endpoint: endpoint, reason: "\(error)")
    }
    channel = bound!
    let actualPort = channel.localAddress?.port ?? port
    address = host.contains(":") ? "[\(host)]:\(actualPort)" : "\(host):\(actualPort)"
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

  public func answerPending(_ snapshots: () -> [MapSnapshot]) {
    var drain = [UInt8](repeating: 0, count: 64)
    while read(wakeFD, &drain, drain.count) > 0 {}
    let waiting = queue.take(closing: false)
    guard !waiting.isEmpty else { return }
    let maps = snapshots()
    var texts: [OpenMetricsPrinter.Format: String] = [:]
    for request in waiting {
      if texts[request.format] == nil { texts[request.format] = OpenMetricsPrinter.print(maps, format: request.format) }
      request.promise.succeed(texts[request.format]!)
    }
  }

  /// Stops listening; requests still waiting are answered with 503.
  public func shutdown() {
    let waiting = queue.take(closing: true)
    for request in waiting { request.promise.fail(ChannelError.ioOnClosedChannel) }
    try? channel.close().wait()
    try? group.syncShutdownGracefully()
    close(wakeFD)
    close(signalFD)
  }
}

/// Requests waiting for the session's thread; NIO's thread adds, the session's takes.
final class RequestQueue: @unchecked Sendable {
  private let lock = NIOLock()
  struct Request {
    let promise: EventLoopPromise<String>
    let format: OpenMetricsPrinter.Format
  }
  private var pending: [Request] = []
  private var closed = false
  private let signalFD: Int32

  init(signalFD: Int32) { self.signalFD = signalFD }

  /// A promise of the current maps' text, answered by the session's thread.
  func request(on loop: EventLoop, format: OpenMetricsPrinter.Format) -> EventLoopFuture<String> {
    let promise = loop.makePromise(of: String.self)
    let accepted = lock.withLock {
      if closed { return false }
      pending.append(Request(promise: promise, format: format))
      return true
    }
    guard accepted else {
      promise.fail(ChannelError.ioOnClosedChannel)
      return promise.futureResult
    }
    var one: UInt8 = 1
    _ = write(signalFD, &one, 1)
    return promise.futureResult
  }

  func take(closing: Bool) -> [Request] {
    lock.withLock {
      if closing { closed = true }
      let waiting = pending
      pending = []
      return waiting
    }
  }
}

/// One HTTP/1.1 connection: `GET /metrics` gets the maps, anything else a short 404.
final class MetricsHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let queue: RequestQueue
  private var head: HTTPRequestHead?

  init(queue: RequestQueue) { self.queue = queue }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let request):
      head = request
    case .body:
      break
    case .end:
      guard let request = head else { return }
      head = nil
      let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
      guard request.method == .GET || request.method == .HEAD, path == "/metrics" else {
        respond(context, request, status: .notFound, type: "text/plain; charset=utf-8",
                body: "swiftrace serves its maps at /metrics\n")
        return
      }
      let format = OpenMetricsPrinter.Format(accept: request.headers.first(name: "Accept"))
      queue.request(on: context.eventLoop, format: format).assumeIsolated().whenComplete { result in
        switch result {
        case .success(let text):
          self.respond(context, request, status: .ok, type: format.contentType, body: text)
        case .failure:
          self.respond(context, request, status: .serviceUnavailable, type: "text/plain; charset=utf-8",
                       body: "the trace has ended\n")
        }
      }
    }
  }

  private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, status: HTTPResponseStatus,
                       type: String, body: String) {
    var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
    buffer.writeString(body)
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: type)
    headers.add(name: "Content-Length", value: String(buffer.readableBytes))
    let keepAlive = request.isKeepAlive
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                  promise: nil)
    if request.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
    context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
      if !keepAlive { context.close(promise: nil) }
    }
  }
}
