import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection: reads a request, ignores its body (up to
/// ``HTTPEndpoints/maxRequestBodySize``), answers from ``HTTPEndpoints``, and keeps the
/// connection open when the client asked for keep-alive.
///
/// Sits behind `configureHTTPServerPipeline`, whose pipelining handler hands it one
/// request at a time.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Reading the body of `head`; `bodyBytes` so far.
        case receiving(head: HTTPRequestHead, bodyBytes: Int)
        /// Answered 413; the connection closes once the answer is written.
        case rejected
    }

    private let endpoints: HTTPEndpoints
    private var state = State.idle

    init(endpoints: HTTPEndpoints) {
        self.endpoints = endpoints
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (self.unwrapInboundIn(data), self.state) {
        case (.head(let head), .idle):
            let declared = head.headers.first(name: "Content-Length").flatMap { Int($0) } ?? 0
            if declared > HTTPEndpoints.maxRequestBodySize {
                self.reject(context: context, version: head.version)
            } else {
                self.state = .receiving(head: head, bodyBytes: 0)
            }
        case (.body(let body), .receiving(let head, let bodyBytes)):
            let total = bodyBytes + body.readableBytes
            if total > HTTPEndpoints.maxRequestBodySize {
                self.reject(context: context, version: head.version)
            } else {
                self.state = .receiving(head: head, bodyBytes: total)
            }
        case (.end, .receiving(let head, _)):
            self.state = .idle
            self.answer(context: context, head: head)
        case (_, .rejected):
            break
        case (.head, .receiving), (.body, .idle), (.end, .idle):
            // The HTTP decoder never produces these orders.
            context.close(promise: nil)
        }
    }

    private func answer(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let response = self.endpoints.respond(to: head, allocator: context.channel.allocator)
        self.write(
            response,
            version: head.version,
            keepAlive: head.isKeepAlive,
            withBody: head.method != .HEAD,
            context: context
        )
    }

    private func reject(context: ChannelHandlerContext, version: HTTPVersion) {
        self.state = .rejected
        let response = HTTPEndpoints.payloadTooLarge(allocator: context.channel.allocator)
        self.write(response, version: version, keepAlive: false, withBody: true, context: context)
    }

    private func write(
        _ response: HTTPEndpoints.Response,
        version: HTTPVersion,
        keepAlive: Bool,
        withBody: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = response.headers
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if withBody && response.body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // Nothing read for the server's idle timeout: a scraper keeps its connection busier.
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
