public import NIOCore
public import NIOHTTP1

/// The routes of the HTTP endpoint, as a function from a request head to a response.
///
/// - `GET /metrics`: Prometheus text format 0.0.4. When a bearer token is configured it
///   requires `Authorization: Bearer <token>`, and answers 401 with `WWW-Authenticate: Bearer`
///   without it or with another token.
/// - `GET /readyz`: 200 when every connection is up and every route consuming, else 503.
/// - `GET /healthz`: 200 while the process runs (it is answering, so it runs).
///
/// `/readyz` and `/healthz` answer the same JSON, as CONTRACT section 6 says of both:
/// `{"status":"ready|not_ready","connections":{...},"routes":{...}}`. The body of `/healthz`
/// therefore tells an operator why a live bridge is not ready, while its status code only
/// says that it is alive. Both stay open without a token, for orchestrator probes.
///
/// `HEAD` is answered like `GET` without a body. Other methods on these paths get 405 with
/// `Allow: GET, HEAD`; other paths get 404. The query string is ignored.
public struct HTTPEndpoints: Sendable {
    /// The largest request body accepted (none of the routes reads one); larger gets 413.
    public static let maxRequestBodySize = 64 * 1024

    /// What `/metrics` serves.
    public let metrics: MetricsExporter
    /// What `/readyz` and `/healthz` report.
    public let readiness: ReadinessRegistry
    private let bearerToken: [UInt8]?

    /// - Parameters:
    ///   - metrics: What `/metrics` serves.
    ///   - readiness: What `/readyz` and `/healthz` report.
    ///   - bearerToken: The token `/metrics` requires, or `nil` for none. Surrounding
    ///     whitespace (the newline that ends a token file) is removed. An empty token
    ///     matches nothing, so `/metrics` then always answers 401: a token file that is
    ///     empty by mistake must not open the endpoint.
    public init(metrics: MetricsExporter, readiness: ReadinessRegistry, bearerToken: String?) {
        self.metrics = metrics
        self.readiness = readiness
        self.bearerToken = bearerToken.map { Array($0.trimmingASCIIWhitespace().utf8) }
    }

    /// A response before it is written: status, headers and body.
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    /// Answers one request. `Content-Length` is set; `Connection` is left to the caller.
    ///
    /// - Parameters:
    ///   - head: The request head.
    ///   - allocator: Allocates the body.
    public func respond(to head: HTTPRequestHead, allocator: ByteBufferAllocator) -> Response {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let isKnownPath = path == "/metrics" || path == "/healthz" || path == "/readyz"
        guard isKnownPath else {
            return Self.text(.notFound, "not found\n", allocator: allocator)
        }
        guard head.method == .GET || head.method == .HEAD else {
            var response = Self.text(.methodNotAllowed, "method not allowed\n", allocator: allocator)
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        var response: Response
        switch path {
        case "/metrics":
            if let challenge = self.authorizationChallenge(head.headers) {
                response = Self.text(.unauthorized, "unauthorized\n", allocator: allocator)
                response.headers.add(name: "WWW-Authenticate", value: challenge)
            } else {
                let bytes = self.metrics.render()
                var body = allocator.buffer(capacity: bytes.count)
                body.writeBytes(bytes)
                response = Response(status: .ok, body: body)
                response.headers.add(name: "Content-Type", value: MetricsExporter.contentType)
            }
        case "/readyz":
            let snapshot = self.readiness.snapshot()
            response = Self.json(snapshot.isReady ? .ok : .serviceUnavailable, snapshot.json(), allocator: allocator)
        default:  // "/healthz"
            response = Self.json(.ok, self.readiness.snapshot().json(), allocator: allocator)
        }
        response.headers.add(name: "Cache-Control", value: "no-store")
        response.headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        return response
    }

    /// The response to a request whose body is over ``maxRequestBodySize``.
    public static func payloadTooLarge(allocator: ByteBufferAllocator) -> Response {
        Self.text(.payloadTooLarge, "request body over \(Self.maxRequestBodySize) bytes\n", allocator: allocator)
    }

    /// `nil` when the request may read `/metrics`, else the `WWW-Authenticate` value to send.
    private func authorizationChallenge(_ headers: HTTPHeaders) -> String? {
        guard let expected = self.bearerToken else {
            return nil
        }
        guard let presented = Self.bearerCredentials(headers) else {
            return #"Bearer realm="metrics""#
        }
        guard !expected.isEmpty, Self.constantTimeEquals(presented, expected) else {
            return #"Bearer realm="metrics", error="invalid_token""#
        }
        return nil
    }

    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
    static func bearerCredentials(_ headers: HTTPHeaders) -> [UInt8]? {
        guard let value = headers.first(name: "Authorization") else {
            return nil
        }
        let utf8 = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard utf8.count > scheme.count,
            zip(utf8, scheme).allSatisfy({ $0 | 0x20 == $1 }),
            utf8[scheme.count] == UInt8(ascii: " ")
        else {
            return nil
        }
        let token = utf8[(scheme.count + 1)...].drop(while: { $0 == UInt8(ascii: " ") })
        let end = token.lastIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
        guard let end else {
            return nil
        }
        return Array(token[..<(end + 1)])
    }

    /// Compares in time that depends on the lengths only, never on where the bytes differ.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
        let length = max(lhs.count, rhs.count)
        for index in 0..<length {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }

    private static func text(_ status: HTTPResponseStatus, _ text: String, allocator: ByteBufferAllocator) -> Response {
        var response = Response(status: status, body: allocator.buffer(string: text))
        response.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        response.headers.add(name: "Content-Length", value: String(response.body.readableBytes))
        return response
    }

    private static func json(_ status: HTTPResponseStatus, _ json: String, allocator: ByteBufferAllocator) -> Response {
        var response = Response(status: status, body: allocator.buffer(string: json))
        response.headers.add(name: "Content-Type", value: "application/json")
        return response
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let bytes = Array(self.utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else {
            return ""
        }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
