import BridgeCore
@testable import BridgeService
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Testing

@Suite(.timeLimit(.minutes(1)))
struct HTTPServerTests {
    @Test func metricsServesRegisteredSeriesInTextFormat() async throws {
        try await withTestServer { server in
            let requests = Counter(
                label: "test_requests_total",
                dimensions: [("route", "a")],
                factory: server.metrics.factory
            )
            requests.increment(by: 3)
            let delivery = Metrics.Timer(
                label: MetricNames.deliverySeconds,
                dimensions: [("route", "batch-events")],
                factory: server.metrics.factory
            )
            delivery.recordMilliseconds(2)

            let response = try await TestHTTP.get("/metrics", port: server.port)

            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"] == ["text/plain; version=0.0.4; charset=utf-8"])
            let lines = Set(response.body.split(separator: "\n").map(String.init))
            let expected = [
                "# TYPE test_requests_total counter",
                #"test_requests_total{route="a"} 3"#,
                "# TYPE bridge_delivery_seconds histogram",
                #"bridge_delivery_seconds_bucket{route="batch-events",le="0.0001"} 0"#,
                #"bridge_delivery_seconds_bucket{route="batch-events",le="0.001"} 0"#,
                #"bridge_delivery_seconds_bucket{route="batch-events",le="0.0025"} 1"#,
                #"bridge_delivery_seconds_bucket{route="batch-events",le="30.0"} 1"#,
                #"bridge_delivery_seconds_bucket{route="batch-events",le="+Inf"} 1"#,
                #"bridge_delivery_seconds_sum{route="batch-events"} 0.002"#,
                #"bridge_delivery_seconds_count{route="batch-events"} 1"#,
                "# TYPE process_resident_memory_bytes gauge",
                "# TYPE process_cpu_seconds_total counter",
                "# TYPE process_start_time_seconds gauge",
            ]
            for line in expected {
                #expect(lines.contains(line), "missing line: \(line)")
            }
            let buckets = lines.filter { $0.hasPrefix("bridge_delivery_seconds_bucket{") }
            #expect(buckets.count == MetricsBootstrap.latencyBuckets.count + 1)
        }
    }

    @Test func bearerTokenGuardsMetricsOnly() async throws {
        try await withTestServer(token: "s3cret\n", connections: ["plant"]) { server in
            let missing = try await TestHTTP.get("/metrics", port: server.port)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(!missing.body.contains("process_"))

            let wrong = try await TestHTTP.get(
                "/metrics",
                port: server.port,
                headers: [("Authorization", "Bearer s3cre")]
            )
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer") == true)

            let otherScheme = try await TestHTTP.get(
                "/metrics",
                port: server.port,
                headers: [("Authorization", "Basic s3cret")]
            )
            #expect(otherScheme.status == .unauthorized)

            let right = try await TestHTTP.get(
                "/metrics",
                port: server.port,
                headers: [("Authorization", "Bearer s3cret")]
            )
            #expect(right.status == .ok)
            #expect(right.body.contains("# TYPE process_resident_memory_bytes gauge"))

            let lowercaseScheme = try await TestHTTP.get(
                "/metrics",
                port: server.port,
                headers: [("Authorization", "bearer s3cret")]
            )
            #expect(lowercaseScheme.status == .ok)

            #expect(try await TestHTTP.get("/healthz", port: server.port).status == .ok)
            #expect(try await TestHTTP.get("/readyz", port: server.port).status == .serviceUnavailable)
        }
    }

    @Test func emptyTokenLocksMetrics() async throws {
        try await withTestServer(token: "  \n") { server in
            let bare = try await TestHTTP.get("/metrics", port: server.port, headers: [("Authorization", "Bearer ")])
            #expect(bare.status == .unauthorized)
            #expect(try await TestHTTP.get("/healthz", port: server.port).status == .ok)
        }
    }

    @Test func readyzFlipsWhenEverythingIsUpAndConsuming() async throws {
        try await withTestServer(connections: ["plant", "erp"], routes: ["batch-events", "orders-to-plant"]) { server in
            let initial = try await TestHTTP.get("/readyz", port: server.port)
            #expect(initial.status == .serviceUnavailable)
            #expect(initial.headers["Content-Type"] == ["application/json"])
            #expect(
                try initial.json()
                    == [
                        "status": "not_ready",
                        "connections": ["plant": "down", "erp": "down"],
                        "routes": ["batch-events": "down", "orders-to-plant": "down"],
                    ] as NSDictionary
            )

            server.readiness.setConnection("plant", to: .up)
            server.readiness.setConnection("erp", to: .up)
            server.readiness.setRoute("batch-events", to: .consuming)
            server.readiness.setRoute("orders-to-plant", to: .blocked)
            let blocked = try await TestHTTP.get("/readyz", port: server.port)
            #expect(blocked.status == .serviceUnavailable)
            #expect(try blocked.json()["status"] as? String == "not_ready")
            #expect((try blocked.json()["routes"] as? [String: String])?["orders-to-plant"] == "blocked")

            server.readiness.setRoute("orders-to-plant", to: .consuming)
            let ready = try await TestHTTP.get("/readyz", port: server.port)
            #expect(ready.status == .ok)
            #expect(
                try ready.json()
                    == [
                        "status": "ready",
                        "connections": ["plant": "up", "erp": "up"],
                        "routes": ["batch-events": "consuming", "orders-to-plant": "consuming"],
                    ] as NSDictionary
            )

            server.readiness.setConnection("erp", to: .connecting)
            let reconnecting = try await TestHTTP.get("/readyz", port: server.port)
            #expect(reconnecting.status == .serviceUnavailable)
            #expect((try reconnecting.json()["connections"] as? [String: String])?["erp"] == "connecting")
        }
    }

    @Test func healthzIsAlwaysOKAndReportsTheSameState() async throws {
        try await withTestServer(connections: ["plant"], routes: ["r"]) { server in
            let notReady = try await TestHTTP.get("/healthz", port: server.port)
            #expect(notReady.status == .ok)
            #expect(
                try notReady.json()
                    == ["status": "not_ready", "connections": ["plant": "down"], "routes": ["r": "down"]]
                    as NSDictionary
            )
            server.readiness.setConnection("plant", to: .up)
            server.readiness.setRoute("r", to: .consuming)
            let ready = try await TestHTTP.get("/healthz", port: server.port)
            #expect(ready.status == .ok)
            #expect(try ready.json()["status"] as? String == "ready")
        }
    }

    @Test func unknownPathsAndMethods() async throws {
        try await withTestServer { server in
            #expect(try await TestHTTP.get("/", port: server.port).status == .notFound)
            #expect(try await TestHTTP.get("/metricsx", port: server.port).status == .notFound)
            #expect(try await TestHTTP.get("/nope", port: server.port, method: .POST).status == .notFound)

            for path in ["/metrics", "/healthz", "/readyz"] {
                for method in [HTTPMethod.POST, .PUT, .DELETE] {
                    let response = try await TestHTTP.get(path, port: server.port, method: method)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers["Allow"] == ["GET, HEAD"])
                }
            }
            let withQuery = try await TestHTTP.get("/healthz?verbose=1", port: server.port)
            #expect(withQuery.status == .ok)
        }
    }

    @Test func headAnswersHeadersWithoutBody() async throws {
        try await withTestServer { server in
            let get = try await TestHTTP.get("/healthz", port: server.port)
            let head = try await TestHTTP.get("/healthz", port: server.port, method: .HEAD)
            #expect(head.status == .ok)
            #expect(head.body.isEmpty)
            #expect(head.headers["Content-Length"] == [String(get.body.utf8.count)])
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withTestServer { server in
            let exchange = try await TestHTTP.exchange(
                port: server.port,
                requests: [
                    .init(method: .GET, path: "/healthz"),
                    .init(method: .POST, path: "/metrics", body: String(repeating: "x", count: 1000)),
                    .init(method: .GET, path: "/metrics"),
                    .init(method: .GET, path: "/readyz"),
                ],
                waitForClose: false
            )
            #expect(exchange.responses.map(\.status) == [.ok, .methodNotAllowed, .ok, .ok])
            #expect(exchange.responses.allSatisfy { $0.headers["Connection"].isEmpty })

            let closing = try await TestHTTP.exchange(
                port: server.port,
                requests: [.init(method: .GET, path: "/healthz", headers: [("Connection", "close")])],
                waitForClose: true
            )
            #expect(closing.responses.map(\.status) == [.ok])
            #expect(closing.responses.first?.headers["Connection"] == ["close"])
            #expect(closing.closedByServer)
        }
    }

    @Test func http10WithoutKeepAliveIsClosed() async throws {
        try await withTestServer { server in
            let answer = try await TestHTTP.raw(port: server.port, "GET /healthz HTTP/1.0\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(answer.hasSuffix(#""routes":{}}"#))
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withTestServer(connections: ["plant"]) { server in
            let answer = try await TestHTTP.raw(
                port: server.port,
                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            // Bodies do not end in CRLF: a status line may follow a body on the same "line".
            let statusLines = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map {
                "HTTP/1.1 " + ($0.components(separatedBy: "\r\n").first ?? "")
            }
            #expect(statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 503 Service Unavailable"])
        }
    }

    @Test func oversizedBodiesAreRejected() async throws {
        try await withTestServer { server in
            let declared = try await TestHTTP.raw(
                port: server.port,
                "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n"
            )
            #expect(declared.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))

            let chunk = String(repeating: "y", count: 32 * 1024)
            let chunked = try await TestHTTP.raw(
                port: server.port,
                "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "8000\r\n\(chunk)\r\n8000\r\n\(chunk)\r\n1\r\nz\r\n0\r\n\r\n"
            )
            #expect(chunked.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))

            let limit = try await TestHTTP.exchange(
                port: server.port,
                requests: [.init(method: .GET, path: "/healthz", body: String(repeating: "z", count: 64 * 1024))],
                waitForClose: false
            )
            #expect(limit.responses.map(\.status) == [.ok])
        }
    }

    @Test func stopsOnGracefulShutdownAndReleasesThePort() async throws {
        let fixture = TestServer(token: nil, connections: [], routes: [])
        let group = ServiceGroup(services: [fixture.server], logger: .quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await fixture.server.boundAddress().port!
            #expect(fixture.server.localAddress?.port == port)

            // A keep-alive connection left open must not hold the shutdown up.
            let idle = try await TestHTTP.connect(port: port)
            #expect(try await TestHTTP.get("/healthz", port: port).status == .ok)

            await group.triggerGracefulShutdown()
            try await tasks.next()

            #expect(fixture.server.localAddress == nil)
            try await idle.closeFuture.get()
            await #expect(throws: (any Error).self) {
                _ = try await TestHTTP.get("/healthz", port: port)
            }
            // The same port can be bound again.
            let again = HTTPServer(
                address: BindAddress(host: "127.0.0.1", port: port),
                metrics: fixture.metrics.exporter,
                readiness: fixture.readiness,
                logger: .quiet
            )
            tasks.addTask { try await again.run() }
            #expect(try await again.boundAddress().port == port)
            #expect(try await TestHTTP.get("/healthz", port: port).status == .ok)
            tasks.cancelAll()
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        let metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        let server = HTTPServer(
            address: BindAddress(host: "127.0.0.1", port: 0),
            endpoints: HTTPEndpoints(
                metrics: metrics.exporter,
                readiness: ReadinessRegistry(connections: [], routes: []),
                bearerToken: nil
            ),
            idleTimeout: .milliseconds(200),
            logger: .quiet
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            let port = try #require(try await server.boundAddress().port)
            let start = ContinuousClock.now
            let idle = try await TestHTTP.connect(port: port)
            try await idle.closeFuture.get()
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            tasks.cancelAll()
        }
    }

    @Test func bindFailureIsReported() async throws {
        try await withTestServer { server in
            let clash = HTTPServer(
                address: BindAddress(host: "127.0.0.1", port: server.port),
                metrics: server.metrics.exporter,
                readiness: server.readiness,
                logger: .quiet
            )
            await #expect(throws: HTTPServer.BindError.self) {
                try await clash.run()
            }
            await #expect(throws: HTTPServer.BindError.self) {
                _ = try await clash.boundAddress()
            }
        }
    }
}

// MARK: - Test support (used by the other HTTP* and Metrics* tests too)

extension Logger {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// A server on 127.0.0.1 port 0 with its own registry: no global metrics bootstrap.
struct TestServer: Sendable {
    let metrics: MetricsBootstrap
    let readiness: ReadinessRegistry
    let server: HTTPServer

    init(token: String?, connections: [String], routes: [String]) {
        self.metrics = MetricsBootstrap(registry: PrometheusCollectorRegistry())
        self.readiness = ReadinessRegistry(connections: connections, routes: routes)
        self.server = HTTPServer(
            address: BindAddress(host: "127.0.0.1", port: 0),
            metrics: self.metrics.exporter,
            readiness: self.readiness,
            bearerToken: token,
            logger: .quiet
        )
    }
}

struct RunningTestServer: Sendable {
    let metrics: MetricsBootstrap
    let readiness: ReadinessRegistry
    let port: Int
}

/// Runs a server for the duration of `body`, then cancels it and waits until it stopped.
func withTestServer(
    token: String? = nil,
    connections: [String] = [],
    routes: [String] = [],
    _ body: (RunningTestServer) async throws -> Void
) async throws {
    let fixture = TestServer(token: token, connections: connections, routes: routes)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await fixture.server.run() }
        let port = try #require(try await fixture.server.boundAddress().port)
        do {
            try await body(RunningTestServer(metrics: fixture.metrics, readiness: fixture.readiness, port: port))
        } catch {
            tasks.cancelAll()
            throw error
        }
        tasks.cancelAll()
        try await tasks.waitForAll()
    }
}

struct TestResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: String

    func json() throws -> NSDictionary {
        let object = try JSONSerialization.jsonObject(with: Data(self.body.utf8))
        return try #require(object as? NSDictionary)
    }
}

struct TestRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var headers: [(String, String)] = []
    var body: String? = nil
}

/// A tiny HTTP/1.1 client on NIO: one connection, requests sent one after another.
enum TestHTTP {
    static func get(
        _ path: String,
        port: Int,
        headers: [(String, String)] = [],
        method: HTTPMethod = .GET
    ) async throws -> TestResponse {
        let exchange = try await exchange(
            port: port,
            requests: [TestRequest(method: method, path: path, headers: headers)],
            waitForClose: false
        )
        return try #require(exchange.responses.first)
    }

    /// Sends each request after the previous answer; with `waitForClose`, then reads until
    /// the server closes the connection.
    static func exchange(
        port: Int,
        requests: [TestRequest],
        waitForClose: Bool
    ) async throws -> (responses: [TestResponse], closedByServer: Bool) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            var responses: [TestResponse] = []
            for request in requests {
                var headers = HTTPHeaders([("Host", "127.0.0.1")] + request.headers)
                if let body = request.body {
                    headers.add(name: "Content-Length", value: String(body.utf8.count))
                }
                try await outbound.write(
                    .head(
                        HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)
                    )
                )
                if let body = request.body {
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                }
                try await outbound.write(.end(nil))

                var head: HTTPResponseHead?
                var body = ByteBuffer()
                reading: while let part = try await iterator.next() {
                    switch part {
                    case .head(let h): head = h
                    case .body(var b): body.writeBuffer(&b)
                    case .end: break reading
                    }
                }
                let responseHead = try #require(head, "connection closed before a response")
                responses.append(
                    TestResponse(status: responseHead.status, headers: responseHead.headers, body: String(buffer: body))
                )
            }
            var closed = false
            if waitForClose {
                while try await iterator.next() != nil {}
                closed = true
            }
            return (responses, closed)
        }
    }

    /// Writes `request` as raw bytes and reads until the server closes the connection.
    static func raw(port: Int, _ request: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            // The server may close before it read everything: a failed write is expected then.
            try? await outbound.write(ByteBuffer(string: request))
            var answer = ByteBuffer()
            do {
                for try await var part in inbound {
                    answer.writeBuffer(&part)
                }
            } catch {
                // A reset after the answer (unread request bytes) ends the stream too.
            }
            return String(buffer: answer)
        }
    }

    /// Opens a plain connection and leaves it open.
    static func connect(port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port)
            .get()
    }
}
