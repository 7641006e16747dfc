import AMQPProtocol
@testable import BridgeAMQP
@testable import BridgeCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

/// AMQP → AMQP through a real ``RouteDelivery`` in this process, against the RabbitMQ of
/// `deploy/brokers.sh` (vhosts `/` and `b`).
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct AMQPIntegrationTests {
    let brokers: BrokerEnvironment
    let tag = "amqp-it-\(UUID().uuidString.prefix(8).lowercased())"
    let group = MultiThreadedEventLoopGroup.singleton
    let logger: Logger = {
        var logger = Logger(label: "amqp-it")
        logger.logLevel = ProcessInfo.processInfo.environment["BRIDGE_TEST_LOG"] == nil ? .error : .debug
        return logger
    }()

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    // MARK: Fixture

    /// A running route: its source on `src` (vhost `/`), its sinks on `dst` (vhost `b`).
    struct Bridge {
        var source: AMQPSource
        var delivery: RouteDelivery
        var adapters: [AMQPAdapter]
        var destinationAdapter: AMQPAdapter { adapters[1] }

        func stop() async {
            await source.stop()
            await delivery.drain(timeout: .seconds(5))
            for adapter in adapters { await adapter.shutdown() }
        }
    }

    func settings(_ key: String) throws -> AMQPConnectionSettings {
        try settings(url: try brokers[key])
    }

    func settings(url: String, tls: TLSSettings? = nil) throws -> AMQPConnectionSettings {
        AMQPConnectionSettings(
            urls: [try BrokerURL.parse(url, defaultPorts: ["amqp": 5672, "amqps": 5671]).get()],
            heartbeat: .seconds(10),
            prefetch: .auto,
            tls: tls,
            reconnect: ReconnectSettings(initial: .milliseconds(200), max: .seconds(1))
        )
    }

    func destination(exchange: String, routingKey: String) throws -> DestinationConfig {
        DestinationConfig(connection: "dst", target: .amqp(exchange: exchange, routingKey: try Template(routingKey)), allow: nil)
    }

    func startBridge(
        queue: String,
        declare: QueueDeclaration,
        to target: DestinationConfig,
        deadLetter: DestinationConfig? = nil,
        exhausted: DeliveryPolicy.Exhausted? = nil,
        maxInFlight: Int = 256,
        sourceSettings: AMQPConnectionSettings? = nil
    ) throws -> Bridge {
        let src = AMQPAdapter(name: "src", settings: try sourceSettings ?? settings("AMQP_URL"), clientPrefix: "\(tag)-src", eventLoopGroup: group, logger: logger)
        let dst = AMQPAdapter(name: "dst", settings: try settings("AMQP_URL_B"), clientPrefix: "\(tag)-dst", eventLoopGroup: group, logger: logger)
        let route = RouteConfig(
            name: "\(tag)-route",
            source: .amqp(.init(connection: "src", queue: queue, declare: declare)),
            destinations: [target],
            maxInFlight: maxInFlight,
            maxMessageSize: 1_000_000,
            onError: OnErrorConfig(attempts: 3, backoff: .milliseconds(50), maxBackoff: .milliseconds(200), deadLetter: deadLetter, exhausted: .block),
            ordering: .default,
            allowAll: false
        )
        let policy = try DeliveryPolicy(
            route: route.name,
            sourceProtocol: .amqp,
            destinations: [.init(connection: "dst", description: target.description)],
            deadLetter: deadLetter.map { .init(connection: "dst", description: $0.description) },
            maxInFlight: maxInFlight,
            retry: .init(attempts: 3, backoff: .milliseconds(50), maxBackoff: .milliseconds(200)),
            exhausted: exhausted
        )
        let source = try src.makeSource(route: route)
        let sink = try dst.makeSink(destination: target, maxMessageSize: route.maxMessageSize)
        let deadLetterSink = try deadLetter.map { try dst.makeSink(destination: $0, maxMessageSize: route.maxMessageSize) }
        let delivery = RouteDelivery(
            policy: policy, source: source, sinks: [sink], deadLetter: deadLetterSink, clock: EventLoopDeliveryClock(eventLoop: group.next())
        )
        source.start(delivery)
        return Bridge(source: source, delivery: delivery, adapters: [src, dst])
    }

    /// A durable queue in `b` bound to `amq.topic` with `pattern`.
    func declareDestinationQueue(_ client: AMQPTestClient, _ queue: String, exchange: String = "amq.topic", pattern: String) async throws {
        try await client.call(.queueDeclare(QueueDeclare(queue: queue, durable: true)))
        try await client.call(.queueBind(QueueBind(queue: queue, exchange: exchange, routingKey: pattern)))
    }

    func publishContent(routingKey: String, body: ByteBuffer, properties: BasicProperties) -> Content {
        Content(method: .basicPublish(BasicPublish(exchange: "amq.direct", routingKey: routingKey, mandatory: true)), properties: properties, body: body)
    }

    static let nested: FieldTable = [
        "plant": "berlin",
        "line": .int64(7),
        "inner": .table(["ok": .bool(true), "list": .array([.int64(1), "two", .table(["three": .int64(3)])])]),
    ]

    // MARK: Tests

    /// 10,000 messages from vhost `/` to vhost `b`, in order, none lost, properties and
    /// headers (a nested table) intact; a zero-length body and one larger than frame-max.
    @Test func amqpToAMQPTenThousandInOrder() async throws {
        let count = 10_000
        let sourceQueue = "\(tag)-src"
        let destinationQueue = "\(tag)-dst"
        let publisher = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        let reader = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await declareDestinationQueue(reader, destinationQueue, pattern: "\(tag).#")
        let bridge = try startBridge(
            queue: sourceQueue,
            declare: QueueDeclaration(durable: true, arguments: [], bindings: [.init(exchange: "amq.direct", routingKey: "\(tag).in", arguments: [])]),
            to: try destination(exchange: "amq.topic", routingKey: "{topic}"),
            maxInFlight: 512
        )
        try await waitUntil("the source consumes", timeout: .seconds(10)) { bridge.source.isConsuming }

        let big = ByteBuffer(repeating: 0xA5, count: 300_000)  // > frame-max 131,072
        var contents: [Content] = []
        for i in 0..<count {
            var headers = Self.nested
            headers["i"] = .int64(Int64(i))
            let body = i == 0 ? ByteBuffer() : i == 1 ? big : ByteBuffer(string: "message \(i)")
            let properties = BasicProperties(
                contentType: "text/plain", headers: ["meta": .table(headers), "i": .int64(Int64(i))], deliveryMode: 2,
                correlationID: "corr-\(i)", replyTo: "replies", messageID: "\(tag)-\(i)", timestamp: 1_700_000_000
            )
            contents.append(publishContent(routingKey: "\(tag).in", body: body, properties: properties))
        }
        let started = ContinuousClock.now
        try await publisher.publish(contents)
        try await reader.consume(destinationQueue)
        try await waitUntil("\(count) messages at the destination", timeout: .seconds(90)) { reader.messages.count >= count }
        let elapsed = ContinuousClock.now - started
        try await Task.sleep(for: .milliseconds(300))  // anything extra would be a duplicate
        let received = reader.messages
        print("AMQP→AMQP: \(received.count) of \(count) received in \(elapsed); stats \(bridge.delivery.stats)")

        #expect(received.count == count, "none lost, no duplicates")
        let indexes = received.compactMap { content -> Int? in
            if case .int64(let i)? = content.properties.headers?["i"] { return Int(i) }
            return nil
        }
        #expect(indexes == Array(0..<count), "in order")
        #expect(received.first?.body.readableBytes == 0, "zero-length body")
        #expect(received.dropFirst().first?.body == big, "a body larger than frame-max")
        for content in received.prefix(20) {
            guard case .int64(let i)? = content.properties.headers?["i"] else { continue }
            let p = content.properties
            #expect(p.contentType == "text/plain")
            #expect(p.correlationID == "corr-\(i)")
            #expect(p.replyTo == "replies")
            #expect(p.messageID == "\(tag)-\(i)")
            #expect(p.timestamp == 1_700_000_000)
            #expect(p.deliveryMode == 2)
            var expected = Self.nested
            expected["i"] = .int64(i)
            #expect(p.headers?["meta"] == .table(expected), "nested table intact")
            #expect(p.headers?["bridge-id"] == .string("amqp:src:\(tag)-\(i)"))
            #expect(p.headers?["bridge-hops"] == "1")
            if i >= 2 { #expect(String(buffer: content.body) == "message \(i)") }
        }
        let stats = bridge.delivery.stats
        #expect(stats.acked == count && stats.inFlight == 0)
        await bridge.stop()
        #expect(try await publisher.messageCount(sourceQueue) == 0, "every source message acked")
        _ = try? await publisher.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        _ = try? await reader.call(.queueDelete(QueueDelete(queue: destinationQueue)))
        await publisher.close()
        await reader.close()
    }

    /// An unroutable destination is a failure: the message is not acked while its dead
    /// letter cannot be confirmed (its exchange is missing), and is acked once it is.
    @Test func unroutableGoesToTheDeadLetterBeforeTheAck() async throws {
        let count = 5
        let sourceQueue = "\(tag)-src"
        let nowhere = "\(tag).nowhere"
        let deadExchange = "\(tag).dead"
        let deadQueue = "\(tag)-dead"
        let publisher = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        let reader = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await reader.call(.exchangeDeclare(ExchangeDeclare(exchange: nowhere, type: "direct", autoDelete: true)))
        let bridge = try startBridge(
            queue: sourceQueue,
            declare: QueueDeclaration(durable: false, arguments: [], bindings: [.init(exchange: "amq.direct", routingKey: "\(tag).in", arguments: [])]),
            to: try destination(exchange: nowhere, routingKey: "{topic}"),
            deadLetter: try destination(exchange: deadExchange, routingKey: "{route}")
        )
        try await waitUntil("the source consumes", timeout: .seconds(10)) { bridge.source.isConsuming }
        try await publisher.publish((0..<count).map {
            publishContent(routingKey: "\(tag).in", body: ByteBuffer(string: "m\($0)"), properties: BasicProperties(messageID: "\(tag)-\($0)"))
        })
        // The dead letter's exchange does not exist yet: nothing may be acked.
        try await waitUntil("the destination's failures", timeout: .seconds(10)) { bridge.delivery.stats.received == count }
        try await Task.sleep(for: .seconds(1))
        #expect(bridge.delivery.stats.acked == 0)
        #expect(bridge.delivery.stats.inFlight == count)

        try await reader.call(.exchangeDeclare(ExchangeDeclare(exchange: deadExchange, type: "direct", autoDelete: true)))
        try await reader.call(.queueDeclare(QueueDeclare(queue: deadQueue, autoDelete: true)))
        try await reader.call(.queueBind(QueueBind(queue: deadQueue, exchange: deadExchange, routingKey: "\(tag)-route")))
        try await reader.consume(deadQueue)
        try await waitUntil("\(count) dead letters", timeout: .seconds(30)) { reader.messages.count >= count }
        try await waitUntil("the acks", timeout: .seconds(10)) { bridge.delivery.stats.acked == count }
        let stats = bridge.delivery.stats
        print("unroutable → dead letter: \(reader.messages.count) dead letters; stats \(stats)")
        #expect(stats.deadLettered == count)
        for content in reader.messages {
            let headers = content.properties.headers
            #expect(headers?["bridge-error"]?.stringValue?.hasPrefix("unroutable:312 NO_ROUTE") == true, "\(String(describing: headers?["bridge-error"]))")
            #expect(headers?["bridge-route"] == .string("\(tag)-route"))
            #expect(headers?["bridge-destination"] == .string("dst/\(nowhere)/{topic}"))
            #expect(headers?["bridge-source"] == .string("amqp://src/\(sourceQueue)"))
        }
        await bridge.stop()
        #expect(try await publisher.messageCount(sourceQueue) == 0)
        _ = try? await publisher.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await publisher.close()
        await reader.close()
    }

    /// Without a dead letter, `exhausted: reject` rejects to the queue's own dead-letter exchange.
    @Test func unroutableWithoutDeadLetterIsRejectedToTheQueueDLX() async throws {
        let count = 3
        let sourceQueue = "\(tag)-src"
        let dlx = "\(tag).dlx"
        let rejectedQueue = "\(tag)-rejected"
        let nowhere = "\(tag).nowhere"
        let publisher = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        let reader = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await reader.call(.exchangeDeclare(ExchangeDeclare(exchange: nowhere, type: "direct", autoDelete: true)))
        try await publisher.call(.exchangeDeclare(ExchangeDeclare(exchange: dlx, type: "fanout", autoDelete: true)))
        try await publisher.call(.queueDeclare(QueueDeclare(queue: rejectedQueue, autoDelete: true)))
        try await publisher.call(.queueBind(QueueBind(queue: rejectedQueue, exchange: dlx, routingKey: "")))
        let bridge = try startBridge(
            queue: sourceQueue,
            declare: QueueDeclaration(
                durable: false, arguments: [("x-dead-letter-exchange", .string(dlx))],
                bindings: [.init(exchange: "amq.direct", routingKey: "\(tag).in", arguments: [])]
            ),
            to: try destination(exchange: nowhere, routingKey: "{topic}"),
            exhausted: .reject
        )
        try await waitUntil("the source consumes", timeout: .seconds(10)) { bridge.source.isConsuming }
        try await publisher.publish((0..<count).map {
            publishContent(routingKey: "\(tag).in", body: ByteBuffer(string: "m\($0)"), properties: BasicProperties(messageID: "\(tag)-\($0)"))
        })
        try await publisher.consume(rejectedQueue)
        try await waitUntil("\(count) rejected messages in the DLX queue", timeout: .seconds(20)) { publisher.messages.count >= count }
        let stats = bridge.delivery.stats
        print("unroutable → reject → queue DLX: \(publisher.messages.count) arrived; stats \(stats)")
        #expect(stats.rejected == count)
        for content in publisher.messages {
            #expect(content.properties.headers?["x-death"] != nil, "dead-lettered by RabbitMQ")
        }
        await bridge.stop()
        _ = try? await publisher.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await publisher.close()
        await reader.close()
    }

    /// The consumer's prefetch is the route's window, as RabbitMQ reports it.
    @Test func prefetchEqualsMaxInFlightInRabbitMQ() async throws {
        let sourceQueue = "\(tag)-src"
        let bridge = try startBridge(
            queue: sourceQueue,
            declare: QueueDeclaration(durable: false, arguments: [], bindings: []),
            to: try destination(exchange: "amq.topic", routingKey: "{topic}"),
            maxInFlight: 77
        )
        try await waitUntil("the source consumes", timeout: .seconds(10)) { bridge.source.isConsuming }
        let output = try ProcessRunner.run([try brokers["RABBITMQCTL"], "list_consumers", "-p", "/", "queue_name", "prefetch_count", "--quiet"])
        print("rabbitmqctl list_consumers: \(output.stdout)")
        #expect(output.succeeded, "\(output)")
        let row = output.stdout.split(separator: "\n").first { $0.hasPrefix(sourceQueue) }
        #expect(row.map { $0.split(whereSeparator: \.isWhitespace).map(String.init) } == [sourceQueue, "77"])
        await bridge.stop()
        let client = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        _ = try? await client.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await client.close()
    }

    /// RabbitMQ stopped and started mid-stream: both connections come back, the queue is
    /// declared again and consumed again, and every message arrives (duplicates allowed).
    @Test func rabbitMQRestartMidStream() async throws {
        let count = 10_000
        let sourceQueue = "\(tag)-src"
        let destinationQueue = "\(tag)-dst"
        let setup = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await declareDestinationQueue(setup, destinationQueue, pattern: "\(tag).#")
        await setup.close()
        let publisher = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        // Declared by the test first so the messages wait for the bridge; the bridge declares it again.
        let declaration = QueueDeclaration(durable: true, arguments: [], bindings: [.init(exchange: "amq.direct", routingKey: "\(tag).in", arguments: [])])
        try await publisher.call(.queueDeclare(QueueDeclare(queue: sourceQueue, durable: true)))
        try await publisher.call(.queueBind(QueueBind(queue: sourceQueue, exchange: "amq.direct", routingKey: "\(tag).in")))
        try await publisher.publish((0..<count).map {
            publishContent(
                routingKey: "\(tag).in", body: ByteBuffer(string: "m\($0)"),
                properties: BasicProperties(deliveryMode: 2, messageID: "\(tag)-\($0)")
            )
        })
        await publisher.close()

        let bridge = try startBridge(
            queue: sourceQueue, declare: declaration, to: try destination(exchange: "amq.topic", routingKey: "{topic}"), maxInFlight: 4
        )
        try await waitUntil("some messages through", timeout: .seconds(30)) { bridge.delivery.stats.acked >= 200 }
        let ctl = try brokers["RABBITMQCTL"]
        let stop = try ProcessRunner.run([ctl, "stop_app"], timeout: .seconds(60))
        let ackedBefore = bridge.delivery.stats.acked
        try #require(stop.succeeded, "\(stop)")
        try #require(ackedBefore < count, "RabbitMQ must stop mid-stream")
        try await Task.sleep(for: .seconds(1))
        let start = try ProcessRunner.run([ctl, "start_app"], timeout: .seconds(90))
        try #require(start.succeeded, "\(start)")

        let sourceURL = try brokers["AMQP_URL"]
        try await waitUntil("the bridge to reconnect and finish", timeout: .seconds(90)) {
            guard bridge.source.isConsuming, bridge.delivery.stats.inFlight == 0 else { return false }
            return ((try? await Self.readyCount(sourceURL, sourceQueue)) ?? 1) == 0
        }
        let reader = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await reader.consume(destinationQueue)
        try await waitUntil("every message at the destination", timeout: .seconds(60)) {
            Set(reader.messages.compactMap(\.properties.messageID)).count >= count
        }
        try await Task.sleep(for: .milliseconds(500))
        let total = reader.messages.count
        let stats = bridge.delivery.stats
        print("RabbitMQ restart: acked \(ackedBefore) before stop_app; \(Set(reader.messages.compactMap(\.properties.messageID)).count) distinct of \(count) arrived, \(total) in all, \(total - count) duplicates; stats \(stats)")
        #expect(Set(reader.messages.compactMap(\.properties.messageID)).count == count, "every message arrives")
        await bridge.stop()
        _ = try? await reader.call(.queueDelete(QueueDelete(queue: destinationQueue)))
        await reader.close()
        let cleanup = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        _ = try? await cleanup.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await cleanup.close()
    }

    /// `amqps://` through a TLS terminator (socat with the test CA's server certificate) in
    /// front of RabbitMQ: the certificate is verified against the test CA (and its name or IP);
    /// a certificate from a CA not trusted is refused unless `verify: false`.
    @Test func amqpsSourceThroughTLS() async throws {
        let count = 200
        let tlsDirectory = URL(fileURLWithPath: try brokers["MQTT_CA_FILE"]).deletingLastPathComponent().path
        let port = Int.random(in: 20_000...29_999)
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        socat.arguments = [
            "socat",
            "openssl-listen:\(port),reuseaddr,fork,bind=127.0.0.1,cert=\(tlsDirectory)/server.crt,key=\(tlsDirectory)/server.key,verify=0",
            "tcp:127.0.0.1:5672",
        ]
        socat.standardOutput = FileHandle.nullDevice
        socat.standardError = FileHandle.nullDevice
        try socat.run()
        // SIGKILL: a child of the test process inherits its blocked signals and ignores SIGTERM;
        // and socat's forked children (one per connection) outlive the listener: kill them too.
        defer {
            kill(socat.processIdentifier, SIGKILL)
            socat.waitUntilExit()
            _ = try? ProcessRunner.run(["pkill", "-KILL", "-f", "openssl-listen:\(port),"])
        }
        let tls = TLSSettings(caFile: "\(tlsDirectory)/ca.crt", certFile: nil, keyFile: nil, verify: true, serverName: nil)
        let url = "amqps://guest:guest@127.0.0.1:\(port)/%2f"
        let loop = group.next()
        try await waitUntil("socat listening", timeout: .seconds(10)) {
            let attempt = AMQPConnection.connect(
                to: try BrokerURL.parse(url, defaultPorts: ["amqps": 5671]).get(), heartbeat: .seconds(10), tls: tls, connectionName: "tls-probe", on: loop, logger: logger
            )
            guard let connection = try? await attempt.get() else { return false }
            _ = try? await connection.close().get()
            return true
        }
        // The system trust roots do not know the test CA: refused unless `verify: false`.
        let systemRoots = TLSSettings(caFile: nil, certFile: nil, keyFile: nil, verify: true, serverName: nil)
        await #expect(throws: (any Error).self, "a certificate from an unknown CA is refused") {
            try await AMQPConnection.connect(
                to: try BrokerURL.parse(url, defaultPorts: ["amqps": 5671]).get(), heartbeat: .seconds(10), tls: systemRoots, connectionName: "tls-unknown-ca", on: loop, logger: logger
            ).get()
        }
        let unverified = TLSSettings(caFile: nil, certFile: nil, keyFile: nil, verify: false, serverName: nil)
        let accepted = try await AMQPConnection.connect(
            to: try BrokerURL.parse(url, defaultPorts: ["amqps": 5671]).get(), heartbeat: .seconds(10), tls: unverified, connectionName: "tls-unverified", on: loop, logger: logger
        ).get()
        try await accepted.close().get()

        let sourceQueue = "\(tag)-src"
        let destinationQueue = "\(tag)-dst"
        let reader = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await declareDestinationQueue(reader, destinationQueue, pattern: "\(tag).#")
        let bridge = try startBridge(
            queue: sourceQueue,
            declare: QueueDeclaration(durable: false, arguments: [], bindings: [.init(exchange: "amq.direct", routingKey: "\(tag).in", arguments: [])]),
            to: try destination(exchange: "amq.topic", routingKey: "{topic}"),
            sourceSettings: try settings(url: url, tls: tls)
        )
        try await waitUntil("the source consumes over TLS", timeout: .seconds(10)) { bridge.source.isConsuming }
        let publisher = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        try await publisher.publish((0..<count).map {
            publishContent(routingKey: "\(tag).in", body: ByteBuffer(string: "m\($0)"), properties: BasicProperties(messageID: "\(tag)-\($0)"))
        })
        try await reader.consume(destinationQueue)
        try await waitUntil("\(count) messages through TLS", timeout: .seconds(30)) { reader.messages.count >= count }
        print("amqps source: \(reader.messages.count) of \(count) arrived; stats \(bridge.delivery.stats)")
        #expect(reader.messages.map { String(buffer: $0.body) } == (0..<count).map { "m\($0)" })
        await bridge.stop()
        _ = try? await reader.call(.queueDelete(QueueDelete(queue: destinationQueue)))
        await reader.close()
        await publisher.close()
    }

    /// `check --connect`: names from a route file, passive checks on the broker, a wrong
    /// password refused.
    @Test func connectionCheckNamesWhatIsMissing() async throws {
        let existing = "\(tag)-present"
        let client = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        try await client.call(.queueDeclare(QueueDeclare(queue: existing, autoDelete: true)))
        let yaml = """
            version: 1
            connections:
              mes: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
            routes:
              - name: present
                from: { connection: mes, queue: \(existing) }
                to: { connection: mes, exchange: amq.direct, routing_key: x }
                on_error: { dead_letter: { connection: mes, exchange: \(tag).dead, routing_key: x } }
              - name: absent
                from: { connection: mes, queue: \(tag)-absent }
                to: { connection: mes, exchange: \(tag).nowhere, routing_key: x }
              - name: declared
                from: { connection: mes, queue: \(tag)-declared, declare: { durable: false } }
                to: { connection: mes, exchange: "", routing_key: x }
            """
        let loaded = try ConfigLoader(environment: [:], hostname: "test").parse(yaml: yaml, file: "check.yaml").get()
        let names = AMQPConnectionCheck.names(on: "mes", in: loaded.config)
        #expect(names.queues == [existing, "\(tag)-absent"], "a queue the route declares is not checked")
        #expect(names.exchanges == ["amq.direct", "\(tag).dead", "\(tag).nowhere"])
        guard case .amqp(let settings) = loaded.config.connection("mes")?.settings else {
            Issue.record("no AMQP settings")
            return
        }
        let report = await AMQPConnectionCheck.run(
            name: "mes", settings: settings, queues: names.queues, exchanges: names.exchanges, eventLoop: group.next(), logger: logger
        )
        print("check --connect: \(report)")
        #expect(report.connected)
        #expect(report.problems.count == 3)
        #expect(report.problems.allSatisfy { $0.contains("404 NOT_FOUND") })
        #expect(report.problems.contains { $0.hasPrefix("queue '\(tag)-absent'") })
        #expect(report.problems.contains { $0.hasPrefix("exchange '\(tag).nowhere'") })

        var wrong = settings
        wrong.urls[0].password = Secret("not-the-password")
        let refused = await AMQPConnectionCheck.run(name: "mes", settings: wrong, queues: [], exchanges: [], eventLoop: group.next(), logger: logger)
        print("check --connect with a wrong password: \(refused)")
        #expect(!refused.connected)
        #expect(refused.problems.first?.contains("403") == true)
        await client.close()
    }

    /// A memory alarm blocks the publishing connection (`connection.blocked`): the sink holds
    /// its publishes while the consuming connection keeps taking messages up to the window;
    /// after the alarm every message arrives.
    @Test func blockedPublishingConnectionHoldsPublishesOnly() async throws {
        let count = 10_000
        let window = 5
        let sourceQueue = "\(tag)-src"
        let destinationQueue = "\(tag)-dst"
        let ctl = try brokers["RABBITMQCTL"]
        let publisher = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        try await publisher.call(.queueDeclare(QueueDeclare(queue: sourceQueue, autoDelete: false)))
        try await publisher.call(.queueBind(QueueBind(queue: sourceQueue, exchange: "amq.direct", routingKey: "\(tag).in")))
        try await publisher.publish((0..<count).map {
            publishContent(routingKey: "\(tag).in", body: ByteBuffer(string: "m\($0)"), properties: BasicProperties(messageID: "\(tag)-\($0)"))
        })
        await publisher.close()
        let reader = try await AMQPTestClient.connect(try brokers["AMQP_URL_B"])
        try await declareDestinationQueue(reader, destinationQueue, pattern: "\(tag).#")
        try await reader.consume(destinationQueue)

        let bridge = try startBridge(
            queue: sourceQueue, declare: QueueDeclaration(durable: false, arguments: [], bindings: []),
            to: try destination(exchange: "amq.topic", routingKey: "{topic}"), maxInFlight: window
        )
        try await waitUntil("some messages through", timeout: .seconds(20)) { bridge.delivery.stats.acked >= 20 }
        let alarm = try ProcessRunner.run([ctl, "set_vm_memory_high_watermark", "0"], timeout: .seconds(30))
        defer { _ = try? ProcessRunner.run([ctl, "set_vm_memory_high_watermark", "0.4"], timeout: .seconds(30)) }
        try #require(alarm.succeeded, "\(alarm)")
        let atAlarm = bridge.delivery.stats
        try #require(atAlarm.acked < count, "the alarm must come mid-stream")
        try await waitUntil("connection.blocked", timeout: .seconds(10)) { bridge.destinationAdapter.isPublishingBlocked }
        try await Task.sleep(for: .milliseconds(500))
        let during = bridge.delivery.stats
        try await Task.sleep(for: .milliseconds(500))
        let later = bridge.delivery.stats
        let clear = try ProcessRunner.run([ctl, "set_vm_memory_high_watermark", "0.4"], timeout: .seconds(30))
        try #require(clear.succeeded, "\(clear)")
        print("blocked: stats while blocked \(during), then \(later)")
        #expect(later.confirmed == during.confirmed, "no publish confirmed while blocked")
        #expect(later.inFlight == window, "the consumer still filled the window: the consuming connection is not blocked")
        try await waitUntil("unblocked", timeout: .seconds(10)) { !bridge.destinationAdapter.isPublishingBlocked }
        try await waitUntil("every message after the alarm", timeout: .seconds(30)) { reader.messages.count >= count }
        #expect(Set(reader.messages.compactMap(\.properties.messageID)).count == count)
        await bridge.stop()
        _ = try? await reader.call(.queueDelete(QueueDelete(queue: destinationQueue)))
        _ = try? await reader.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await reader.close()
        let cleanup = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        _ = try? await cleanup.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await cleanup.close()
    }

    /// Heartbeats: a broker that goes silent (a TCP relay frozen with SIGSTOP) is declared
    /// dead after two missed intervals.
    @Test func silentBrokerIsDeclaredDeadAfterTwoHeartbeats() async throws {
        let port = Int.random(in: 30_000...39_999)
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        relay.arguments = ["socat", "tcp-listen:\(port),reuseaddr,bind=127.0.0.1", "tcp:127.0.0.1:5672"]
        relay.standardOutput = FileHandle.nullDevice
        relay.standardError = FileHandle.nullDevice
        try relay.run()
        defer {
            kill(relay.processIdentifier, SIGCONT)
            relay.terminate()
        }
        let url = try BrokerURL.parse("amqp://guest:guest@127.0.0.1:\(port)/%2f", defaultPorts: ["amqp": 5672]).get()
        let loop = group.next()
        var connection: AMQPConnection?
        for _ in 0..<100 where connection == nil {
            connection = try? await AMQPConnection.connect(to: url, heartbeat: .seconds(1), connectionName: "heartbeat-test", on: loop, logger: logger).get()
            if connection == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let open = try #require(connection)
        #expect(try await loop.submit { open.tuning.heartbeat }.get() == 1)
        try await Task.sleep(for: .seconds(2))
        #expect(try await loop.submit { open.isOpen }.get(), "heartbeats keep an idle connection open")
        let frozen = ContinuousClock.now
        kill(relay.processIdentifier, SIGSTOP)
        let reason = try await open.closeFuture.get()
        let after = ContinuousClock.now - frozen
        print("silent broker: closed after \(after): \(reason)")
        #expect(reason == .missedHeartbeats)
        #expect(after < .seconds(4))
    }

    /// The broker cancels the consumer (its queue was deleted): the source declares the queue
    /// again and consumes again.
    @Test func brokerCancelledConsumerConsumesAgain() async throws {
        let sourceQueue = "\(tag)-src"
        let bridge = try startBridge(
            queue: sourceQueue, declare: QueueDeclaration(durable: false, arguments: [], bindings: []),
            to: try destination(exchange: "amq.topic", routingKey: "{topic}")
        )
        try await waitUntil("the source consumes", timeout: .seconds(10)) { bridge.source.isConsuming }
        let client = try await AMQPTestClient.connect(try brokers["AMQP_URL"])
        try await client.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        try await waitUntil("the consumer cancelled", timeout: .seconds(10)) { !bridge.source.isConsuming }
        try await waitUntil("consuming again", timeout: .seconds(10)) { bridge.source.isConsuming }
        let ok = try await client.call(.queueDeclare(QueueDeclare(queue: sourceQueue, passive: true)))
        guard case .queueDeclareOk(let declared) = ok else {
            Issue.record("queue not there: \(ok)")
            return
        }
        #expect(declared.consumerCount == 1)
        await bridge.stop()
        _ = try? await client.call(.queueDelete(QueueDelete(queue: sourceQueue)))
        await client.close()
    }

    static func readyCount(_ url: String, _ queue: String) async throws -> UInt32 {
        let client = try await AMQPTestClient.connect(url)
        let count = try await client.messageCount(queue)
        await client.close()
        return count
    }
}
