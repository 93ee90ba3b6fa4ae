import NIOCore
import NIOHTTP1
import SwiftraceRuntime

/// The open connections, oldest first. Touched only on the server's one event-loop thread.
final class Connections: @unchecked Sendable {
  final class Entry {
    let channel: Channel
    /// Waiting for its answer (a scrape), or being sent one: not to be closed for a newcomer.
    var busy = false
    init(_ channel: Channel) { self.channel = channel }
  }
  private var open: [Entry] = []

  /// A new connection; past `MetricsServer.Limits.connections`, the oldest idle one is closed
  /// (or the new one, when every other is busy).
  func add(_ channel: Channel) {
    open.append(Entry(channel))
    guard open.count > MetricsServer.Limits.connections else { return }
    // Forgotten at once: its close completes later, after more connections of this burst arrive.
    let index = open.dropLast().firstIndex { !$0.busy } ?? open.count - 1
    open.remove(at: index).channel.close(promise: nil)
  }

  func remove(_ channel: Channel) {
    open.removeAll { $0.channel === channel }
  }

  func setBusy(_ channel: Channel, _ busy: Bool) {
    open.first { $0.channel === channel }?.busy = busy
  }
}

/// On the listening channel: registers every accepted connection, and forgets it when it closes.
final class ConnectionLimiter: ChannelInboundHandler {
  typealias InboundIn = Channel
  private let connections: Connections

  init(connections: Connections) { self.connections = connections }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let child = unwrapInboundIn(data)
    let connections = connections
    connections.add(child)
    child.closeFuture.whenComplete { _ in connections.remove(child) }
    context.fireChannelRead(data)
  }
}

/// One HTTP/1.1 connection: `GET /metrics` gets the maps, anything else a short 404. A request has
/// `Limits.request` to arrive whole (counted from the connection or the previous answer, so an idle
/// keep-alive connection closes then too) and its answer `Limits.answer` to be taken; a request that
/// is not HTTP gets NIO's 400 and the connection closes. Pipelined requests are answered in order
/// (NIO's pipelining handler holds each until the previous answer is out).
final class MetricsHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let scrapes: Scrapes
  private let connections: Connections
  private var head: HTTPRequestHead?
  private var deadline: Scheduled<Void>?

  init(scrapes: Scrapes, connections: Connections) {
    self.scrapes = scrapes
    self.connections = connections
  }

  func channelActive(context: ChannelHandlerContext) {
    closeUnlessDone(context, within: MetricsServer.Limits.request)
    context.fireChannelActive()
  }

  func channelInactive(context: ChannelHandlerContext) {
    deadline?.cancel()
    deadline = nil
    context.fireChannelInactive()
  }

  /// Closes the connection after `time`, unless another deadline replaces this one first.
  private func closeUnlessDone(_ context: ChannelHandlerContext, within time: TimeAmount) {
    deadline?.cancel()
    let channel = context.channel
    deadline = context.eventLoop.scheduleTask(in: time) { channel.close(promise: nil) }
  }

  func errorCaught(context: ChannelHandlerContext, error: Error) {
    // NIO's error handler has answered 400 to what was not HTTP; the connection ends here.
    context.close(promise: nil)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let request):
      head = request
    case .body:
      break
    case .end:
      guard let request = head else { return }
      head = nil
      connections.setBusy(context.channel, true)
      closeUnlessDone(context, within: MetricsServer.Limits.answer)
      let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
      guard request.method == .GET || request.method == .HEAD, path == "/metrics" else {
        respond(context, request, status: .notFound, type: "text/plain; charset=utf-8",
                body: "swiftrace serves its maps at /metrics\n")
        return
      }
      let format = OpenMetricsPrinter.Format(accept: request.headers.first(name: "Accept"))
      scrapes.request(on: context.eventLoop, format: format).assumeIsolated().whenComplete { result in
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
      self.connections.setBusy(context.channel, false)
      if keepAlive {
        self.closeUnlessDone(context, within: MetricsServer.Limits.request)
      } else {
        context.close(promise: nil)
      }
    }
  }
}
