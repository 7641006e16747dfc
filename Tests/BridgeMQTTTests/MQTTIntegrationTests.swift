@testable import BridgeCore
@testable import BridgeMQTT
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// MQTT → MQTT through a real ``RouteDelivery`` in this process, against the mosquittos and
/// RabbitMQ of `deploy/brokers.sh`; mosquitto_pub feeds our source and mosquitto_sub reads
/// what our sink published (an independent client on both ends).
@Suite(
    .serialized, .timeLimit(.minutes(3)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct MQTTIntegrationTests {
    let brokers: BrokerEnvironment
    let tag = "mqtt-it-\(UUID().uuidString.prefix(8).lowercased())"
    let group = MultiThreadedEventLoopGroup.singleton
    let logger: Logger = {
        var logger = Logger(label: "mqtt-it")
        logger.logLevel = ProcessInfo.processInfo.environment["BRIDGE_TEST_LOG"] == nil ? .error : .debug
        return logger
    }()

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    // MARK: Fixture

    struct Bridge {
        var source: MQTTSource
        var delivery: RouteDelivery
        var adapters: [MQTTAdapter]

        func stop() async {
            await source.stop()
            await delivery.drain(timeout: .seconds(2))
            for adapter in adapters { await adapter.shutdown() }
        }
    }

    func settings(
        _ key: String, version: MQTTConnectionSettings.Version, keepalive: TimeAmount = .seconds(10),
        username: String? = nil, password: String? = nil
    ) throws -> MQTTConnectionSettings {
        MQTTConnectionSettings(
            urls: [try BrokerURL.parse(try brokers[key], defaultPorts: ["mqtt": 1883, "mqtts": 8883]).get()],
            version: version,
            clientID: tag,
            sessionExpiry: .seconds(600),
            keepalive: keepalive,
            username: username,
            password: password.map(Secret.init),
            tls: nil,
            reconnect: ReconnectSettings(initial: .milliseconds(200), max: .seconds(1))
        )
    }

    func destination(_ topic: String, qos: Int = 1) throws -> DestinationConfig {
        DestinationConfig(connection: "dst", target: .mqtt(topic: try Template(topic), qos: qos, retain: false, requireSubscribers: false), allow: nil)
    }

    /// A route `<tag>-<name>` from `filter` on `from` to `to` on `dst`; `sink` replaces the
    /// MQTT sink (a stalled or reordering destination).
    func startBridge(
        name: String,
        from: MQTTConnectionSettings,
        filter: String,
        to: MQTTConnectionSettings,
        topic: String,
        maxInFlight: Int = 256,
        sink wrap: ((MQTTSink) -> any DeliverySink)? = nil,
        hooks: MQTTAdapter.Hooks = .init(),
        recordAcks: Bool = false,
        instance: String = "i1",
        sourceQoS: Int = 1,
        destinationQoS: Int = 1
    ) throws -> Bridge {
        // The instance is part of the client ids: two bridges running at once need two
        // (one `-pub` client id each, as two replicas would have).
        let src = MQTTAdapter(name: "src", settings: from, instance: instance, eventLoopGroup: group, logger: logger, hooks: hooks)
        let dst = MQTTAdapter(name: "dst", settings: to, instance: instance, eventLoopGroup: group, logger: logger)
        let target = try destination(topic, qos: destinationQoS)
        let route = RouteConfig(
            name: name,
            source: .mqtt(.init(connection: "src", filter: try TopicFilter(filter), qos: sourceQoS, retained: .forward, shareGroup: nil)),
            destinations: [target],
            maxInFlight: maxInFlight,
            maxMessageSize: 1_000_000,
            onError: OnErrorConfig(attempts: 3, backoff: .milliseconds(50), maxBackoff: .milliseconds(200), deadLetter: nil, exhausted: .block),
            ordering: .default,
            allowAll: false
        )
        let policy = try DeliveryPolicy(
            route: route.name,
            sourceProtocol: .mqtt,
            destinations: [.init(connection: "dst", qos: String(destinationQoS), description: target.description)],
            maxInFlight: maxInFlight,
            retry: .init(attempts: 3, backoff: .milliseconds(50), maxBackoff: .milliseconds(200))
        )
        let source = try src.makeSource(route: route)
        if recordAcks { source.recordAckOrder() }
        let sink = try dst.makeSink(destination: target, maxMessageSize: route.maxMessageSize, fieldsDropped: nil)
        let delivery = RouteDelivery(
            policy: policy, source: source, sinks: [wrap?(sink) ?? sink], clock: EventLoopDeliveryClock(eventLoop: group.next())
        )
        source.start(delivery)
        return Bridge(source: source, delivery: delivery, adapters: [src, dst])
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async -> Bool) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    /// A prefix that runs a program with no signal blocked: children spawned from the test's
    /// threads inherit their blocked signals, so SIGTERM (mosquitto's persistence save) and
    /// SIGALRM (mosquitto_sub -W) would never arrive.
    static let unblockingSignals = [
        "python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])",
    ]

    static func hostPort(_ settings: MQTTConnectionSettings) -> [String] {
        ["-h", settings.urls[0].host, "-p", String(settings.urls[0].port)]
    }

    static func versionFlag(_ version: MQTTConnectionSettings.Version) -> [String] {
        ["-V", version == .v5 ? "mqttv5" : "mqttv311"]
    }

    /// mosquitto_pub -l: one QoS 1 message per line.
    func publish(_ lines: [String], to settings: MQTTConnectionSettings, topic: String, qos: Int = 1, extra: [String] = []) throws {
        var command = ["mosquitto_pub"] + Self.hostPort(settings) + Self.versionFlag(settings.version) + ["-q", String(qos), "-t", topic, "-l"]
        if let user = settings.username { command += ["-u", user, "-P", settings.password?.value ?? ""] }
        if settings.urls[0].tls, let tls = settings.tls {
            command += ["--cafile", tls.caFile ?? "", "--cert", tls.certFile ?? "", "--key", tls.keyFile ?? ""]
        }
        let output = try ProcessRunner.run(command + extra, input: lines.joined(separator: "\n") + "\n", timeout: .seconds(90))
        #expect(output.succeeded, "\(output)")
    }

    /// Starts mosquitto_sub for `count` messages on `settings`; returns once it subscribed.
    func subscribe(_ settings: MQTTConnectionSettings, topic: String, count: Int, extra: [String] = []) async throws -> Task<[String], any Error> {
        let command = Self.unblockingSignals + ["mosquitto_sub"] + Self.hostPort(settings) + Self.versionFlag(settings.version)
            + ["-q", "1", "-t", topic, "-C", String(count), "-W", "120", "-i", "\(tag)-sub-\(UUID().uuidString.prefix(6))"] + extra
        let task = Task.detached {
            let output = try ProcessRunner.run(command, timeout: .seconds(130))
            if output.stdout.isEmpty { Issue.record("mosquitto_sub received nothing: \(output)") }
            return output.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
        try await Task.sleep(for: .milliseconds(700))
        return task
    }

    /// A destination that takes every publish and confirms none until `release()`, then
    /// hands everything to the real sink.
    final class StallSink: DeliverySink, Sendable {
        let inner: any DeliverySink
        let state = NIOLockedValueBox<(stalled: Bool, held: [(PublishRequest, RouteDelivery)])>((true, []))
        init(_ inner: any DeliverySink) { self.inner = inner }
        var heldCount: Int { state.withLockedValue { $0.held.count } }
        var held: [PublishRequest] { state.withLockedValue { $0.held.map(\.0) } }

        func publish(_ request: PublishRequest, for route: RouteDelivery) {
            let stalled = state.withLockedValue { state in
                if state.stalled { state.held.append((request, route)) }
                return state.stalled
            }
            if !stalled { inner.publish(request, for: route) }
        }

        func release() {
            let held = state.withLockedValue { state in
                state.stalled = false
                defer { state.held = [] }
                return state.held
            }
            for (request, route) in held { inner.publish(request, for: route) }
        }
    }

    /// Confirms publishes in reverse order, in batches of `batch` (and publishes nothing).
    final class ReverseConfirmSink: DeliverySink, Sendable {
        let batch: Int
        let held = NIOLockedValueBox<[(DeliveryTag, RouteDelivery)]>([])
        init(batch: Int) { self.batch = batch }

        func publish(_ request: PublishRequest, for route: RouteDelivery) {
            let ready: [(DeliveryTag, RouteDelivery)] = held.withLockedValue { held in
                held.append((request.tag, route))
                guard held.count >= batch else { return [] }
                defer { held = [] }
                return held.reversed()
            }
            for (tag, route) in ready { route.confirmed(tag) }
        }
    }

    func tenThousandInOrder(source key: String, version: MQTTConnectionSettings.Version, name: String, count: Int = 10_000) async throws {
        try await tenThousandInOrder(from: try settings(key, version: version), name: name, count: count)
    }

    func tenThousandInOrder(from: MQTTConnectionSettings, name: String, count: Int = 10_000) async throws {
        let to = try settings("MQTT2_URL", version: from.version)
        let bridge = try startBridge(name: name, from: from, filter: "\(tag)/\(name)/in", to: to, topic: "\(tag)/\(name)/out", maxInFlight: 512)
        try await waitUntil("subscribed") { await bridge.source.isSubscribed }
        let reader = try await subscribe(to, topic: "\(tag)/\(name)/out", count: count)
        let lines = (0..<count).map { "\(name)-\($0)" }
        try publish(lines, to: from, topic: "\(tag)/\(name)/in")
        let received = try await reader.value
        #expect(received.count == count)
        #expect(received == lines, "first difference at \(Array(zip(received, lines)).firstIndex { $0.0 != $0.1 } ?? -1)")
        try await waitUntil("all acked") { bridge.delivery.stats.acked == count }
        #expect(bridge.delivery.stats.inFlight == 0)
        #expect(await bridge.source.ackCount() == count)
        await bridge.stop()
    }

    // MARK: Tests

    /// 10,000 QoS 1 messages, mosquitto 1883 → mosquitto 1893, MQTT 5: in order, none lost,
    /// every PUBACK written after the destination's PUBACK.
    @Test func mqtt5TenThousandInOrder() async throws {
        try await tenThousandInOrder(source: "MQTT_URL", version: .v5, name: "v5")
    }

    /// The same over MQTT 3.1.1.
    @Test func mqtt311TenThousandInOrder() async throws {
        try await tenThousandInOrder(source: "MQTT_URL", version: .v311, name: "v311")
    }

    /// 10,000 QoS 1 messages from RabbitMQ's MQTT plugin (3.1.1) to mosquitto.
    @Test func rabbitMQ311TenThousandInOrder() async throws {
        try await tenThousandInOrder(source: "RABBIT_MQTT_URL", version: .v311, name: "rabbit")
    }

    /// QoS 2 end to end (PUBREC held until the core acks, then PUBREL/PUBCOMP; the sink
    /// confirms on PUBCOMP) and a QoS 0 destination (confirmed when written), MQTT 5 and 3.1.1.
    @Test func qos2AndQoS0() async throws {
        let count = 2_000
        for version in [MQTTConnectionSettings.Version.v5, .v311] {
            for destinationQoS in [2, 0] {
                let name = "q\(destinationQoS)-\(version.rawValue)"
                let from = try settings("MQTT_URL", version: version)
                let to = try settings("MQTT2_URL", version: version)
                let bridge = try startBridge(
                    name: name, from: from, filter: "\(tag)/\(name)/in", to: to, topic: "\(tag)/\(name)/out",
                    sourceQoS: 2, destinationQoS: destinationQoS
                )
                try await waitUntil("subscribed") { await bridge.source.isSubscribed }
                let reader = try await subscribe(to, topic: "\(tag)/\(name)/out", count: count)
                let lines = (0..<count).map { "\(name)-\($0)" }
                try publish(lines, to: from, topic: "\(tag)/\(name)/in", qos: 2)
                #expect(try await reader.value == lines, "\(name)")
                try await waitUntil("all acked") { bridge.delivery.stats.acked == count }
                #expect(await bridge.source.ackCount() == count)
                await bridge.stop()
            }
        }
    }

    /// User and password (mosquitto 1884): the bridge moves messages; `check --connect`
    /// reports success with the right password and the CONNACK reason with a wrong one.
    @Test func authenticatedConnectionAndCheck() async throws {
        let user = try brokers["MQTT_USER"]
        let password = try brokers["MQTT_PASSWORD"]
        for version in [MQTTConnectionSettings.Version.v5, .v311] {
            let good = try settings("MQTT_AUTH_URL", version: version, username: user, password: password)
            let ok = await MQTTConnectionCheck.run(name: "auth", settings: good, instance: "i1", eventLoop: group.next(), timeout: .seconds(5))
            #expect(ok == .connected(sessionPresent: false))
            let bad = try settings("MQTT_AUTH_URL", version: version, username: user, password: "wrong")
            let refused = await MQTTConnectionCheck.run(name: "auth", settings: bad, instance: "i1", eventLoop: group.next(), timeout: .seconds(5))
            guard case .failed(let reason) = refused else {
                Issue.record("a wrong password connected")
                continue
            }
            #expect(reason.contains("CONNACK"), "\(reason)")
        }
        let from = try settings("MQTT_AUTH_URL", version: .v5, username: user, password: password)
        try await tenThousandInOrder(from: from, name: "auth", count: 10_000)
    }

    /// TLS with a client certificate (mosquitto 8883, `require_certificate true`): MQTT 5
    /// and 3.1.1 move 10,000 messages each; without the client certificate the handshake fails.
    @Test func tlsWithClientCertificate() async throws {
        for version in [MQTTConnectionSettings.Version.v5, .v311] {
            var from = try settings("MQTTS_URL", version: version)
            from.tls = TLSSettings(
                caFile: try brokers["MQTT_CA_FILE"], certFile: try brokers["MQTT_CLIENT_CERT"], keyFile: try brokers["MQTT_CLIENT_KEY"],
                verify: true, serverName: nil
            )
            let ok = await MQTTConnectionCheck.run(name: "tls", settings: from, instance: "i1", eventLoop: group.next(), timeout: .seconds(5))
            #expect(ok == .connected(sessionPresent: false))
            var noCertificate = from
            noCertificate.tls?.certFile = nil
            noCertificate.tls?.keyFile = nil
            let refused = await MQTTConnectionCheck.run(name: "tls", settings: noCertificate, instance: "i1", eventLoop: group.next(), timeout: .seconds(3))
            #expect(refused != .connected(sessionPresent: false))
            try await tenThousandInOrder(from: from, name: "tls\(version.rawValue)")
        }
    }

    /// The PUBACK is held: with the destination stalled our client writes no PUBACK, and
    /// after our connection closes (DISCONNECT, session kept) a new connection with the same
    /// client id gets every message again from mosquitto — the same packet ids, so the
    /// same `bridge-id`s — and then delivers them.
    @Test func pubackHeldUntilTheDestinationConfirms() async throws {
        let count = 50
        let from = try settings("MQTT_URL", version: .v5)
        let to = try settings("MQTT2_URL", version: .v5)
        let stalled = NIOLockedValueBox<StallSink?>(nil)
        let first = try startBridge(name: "held", from: from, filter: "\(tag)/held/in", to: to, topic: "\(tag)/held/out") { sink in
            let stall = StallSink(sink)
            stalled.withLockedValue { $0 = stall }
            return stall
        }
        try await waitUntil("subscribed") { await first.source.isSubscribed }
        try publish((0..<count).map { "held-\($0)" }, to: from, topic: "\(tag)/held/in")
        let stall = try #require(stalled.withLockedValue { $0 })
        try await waitUntil("all received") { stall.heldCount == count }
        try await Task.sleep(for: .milliseconds(300))
        #expect(await first.source.ackCount() == 0)
        let firstIDs = stall.held.map(\.envelope.bridgeID)
        await first.source.stop()
        for adapter in first.adapters { await adapter.shutdown() }

        let reader = try await subscribe(to, topic: "\(tag)/held/out", count: count)
        let seen = NIOLockedValueBox<[String]>([])
        let second = try startBridge(name: "held", from: from, filter: "\(tag)/held/in", to: to, topic: "\(tag)/held/out") { sink in
            RecordingSink(sink) { request in seen.withLockedValue { $0.append(request.envelope.bridgeID) } }
        }
        let received = try await reader.value
        #expect(received == (0..<count).map { "held-\($0)" })
        #expect(seen.withLockedValue { $0 } == firstIDs)
        try await waitUntil("all acked") { second.delivery.stats.acked == count }
        await second.stop()
    }

    /// PUBACKs go out in the order the PUBLISH packets arrived while the destination
    /// confirms in reverse order, in batches.
    @Test func pubackInArrivalOrderWhenConfirmsAreOutOfOrder() async throws {
        let count = 1_000
        let from = try settings("MQTT_URL", version: .v5)
        let to = try settings("MQTT2_URL", version: .v5)
        let bridge = try startBridge(
            name: "order", from: from, filter: "\(tag)/order/in", to: to, topic: "\(tag)/order/out", maxInFlight: 100,
            sink: { _ in ReverseConfirmSink(batch: 20) }, recordAcks: true
        )
        try await waitUntil("subscribed") { await bridge.source.isSubscribed }
        try publish((0..<count).map { "order-\($0)" }, to: from, topic: "\(tag)/order/in")
        try await waitUntil("all acked") { bridge.delivery.stats.acked == count }
        try await Task.sleep(for: .milliseconds(200))
        let log = await bridge.source.ackLog()
        #expect(log.arrivals.count == count)
        #expect(log.acks == log.arrivals)
        await bridge.stop()
    }

    /// A mosquitto of our own (port 1895, its own config and persistence directory, so the
    /// shared brokers are left alone) is stopped with SIGTERM and started again while
    /// 3,000 messages are on their way: every one arrives (duplicates allowed).
    @Test func brokerRestartMidStreamLosesNothing() async throws {
        let count = 3_000
        let broker = try OwnMosquitto(port: 1895, tag: tag)
        defer { broker.remove() }
        try await broker.start()
        var from = try settings("MQTT_URL", version: .v5)
        from.urls = [try BrokerURL.parse("mqtt://127.0.0.1:1895", defaultPorts: ["mqtt": 1883]).get()]
        let to = try settings("MQTT2_URL", version: .v5)
        let stalled = NIOLockedValueBox<StallSink?>(nil)
        let bridge = try startBridge(
            name: "restart", from: from, filter: "\(tag)/restart/in", to: to, topic: "\(tag)/restart/out", maxInFlight: 50,
            sink: { sink in
                let stall = StallSink(sink)
                stalled.withLockedValue { $0 = stall }
                return stall
            }
        )
        try await waitUntil("subscribed") { await bridge.source.isSubscribed }
        let reader = try await subscribe(to, topic: "\(tag)/restart/out", count: count + 500, extra: ["-W", "20"])
        let lines = (0..<count).map { "restart-\($0)" }
        try publish(lines, to: from, topic: "\(tag)/restart/in")
        let stall = try #require(stalled.withLockedValue { $0 })
        try await waitUntil("window full") { stall.heldCount == 50 }

        try await broker.stop()  // SIGTERM: mosquitto writes its persistence file
        try await waitUntil("disconnected") { await !bridge.source.isConnected }
        try await broker.start()
        try await waitUntil("reconnected", timeout: .seconds(15)) { await bridge.source.isConnected }
        stall.release()
        try await waitUntil("all acked", timeout: .seconds(60)) { bridge.delivery.stats.ackedConfirmed >= count }
        let received = try await reader.value
        #expect(Set(received) == Set(lines), "missing: \(Set(lines).subtracting(received).count)")
        #expect(received.count >= count)
        await bridge.stop()
        try await broker.stop()
    }

    /// Backpressure keeps the connection alive: MQTT 3.1.1 (mosquitto sends up to 1000
    /// unacked), a window of 10, keepalive 1 s and the destination stalled for 5 s: the
    /// source stops reading but keeps its connection (no reconnect), while a second route on
    /// the same broker keeps flowing; after the stall everything arrives.
    @Test func stalledDestinationKeepsTheConnectionAndOtherRoutesFlow() async throws {
        let count = 200
        let from = try settings("MQTT_URL", version: .v311, keepalive: .seconds(1))
        let to = try settings("MQTT2_URL", version: .v311)
        let reconnects = Atomic<Int>(0)
        let hooks = MQTTAdapter.Hooks(reconnecting: { reconnects.add(1, ordering: .relaxed) })
        let stalled = NIOLockedValueBox<StallSink?>(nil)
        let slow = try startBridge(
            name: "slow", from: from, filter: "\(tag)/slow/in", to: to, topic: "\(tag)/slow/out", maxInFlight: 10,
            sink: { sink in
                let stall = StallSink(sink)
                stalled.withLockedValue { $0 = stall }
                return stall
            }, hooks: hooks
        )
        let fast = try startBridge(name: "fast", from: from, filter: "\(tag)/fast/in", to: to, topic: "\(tag)/fast/out", hooks: hooks, instance: "i2")
        try await waitUntil("subscribed") { await slow.source.isSubscribed }
        try await waitUntil("subscribed") { await fast.source.isSubscribed }
        try publish((0..<count).map { "slow-\($0)" }, to: from, topic: "\(tag)/slow/in")
        let stall = try #require(stalled.withLockedValue { $0 })
        try await waitUntil("window full") { stall.heldCount == 10 }

        // The other route flows while this one is stalled.
        let fastReader = try await subscribe(to, topic: "\(tag)/fast/out", count: count)
        try publish((0..<count).map { "fast-\($0)" }, to: from, topic: "\(tag)/fast/in")
        #expect(try await fastReader.value == (0..<count).map { "fast-\($0)" })

        // More than three keepalive intervals stalled.
        try await Task.sleep(for: .seconds(5))
        #expect(stall.heldCount == 10)
        #expect(reconnects.load(ordering: .relaxed) == 0)
        #expect(await slow.source.isConnected)
        #expect(await slow.source.ackCount() == 0)
        // Nothing of this route reached the destination yet: read it from here on.
        let slowReader = try await subscribe(to, topic: "\(tag)/slow/out", count: count)
        stall.release()
        let slowReceived = try await slowReader.value
        #expect(slowReceived == (0..<count).map { "slow-\($0)" }, "\(slowReceived.count) received: \(slowReceived.prefix(20))")
        try await waitUntil("all acked") { slow.delivery.stats.acked == count }
        #expect(reconnects.load(ordering: .relaxed) == 0)
        await slow.stop()
        await fast.stop()
    }
}

/// A mosquitto started by the test on its own port, config and persistence directory
/// (the pattern of deploy/brokers.sh).
final class OwnMosquitto: @unchecked Sendable {
    let port: Int
    let directory: String
    private var process: Process?

    init(port: Int, tag: String) throws {
        self.port = port
        self.directory = NSTemporaryDirectory() + "/\(tag)-mosquitto"
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = """
            per_listener_settings true
            persistence true
            persistence_location \(directory)/data/
            autosave_interval 10
            max_queued_messages 0
            max_inflight_messages 1000
            log_dest file \(directory)/mosquitto.log
            listener \(port) 127.0.0.1
            allow_anonymous true

            """
        try config.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
        // mosquitto started as root drops to the mosquitto user, which must own the data.
        _ = try? ProcessRunner.run(["chown", "-R", "mosquitto:", directory])
        _ = try? ProcessRunner.run(["chmod", "755", directory])
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = MQTTIntegrationTests.unblockingSignals + ["mosquitto", "-c", directory + "/mosquitto.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<100 {
            let probe = try ProcessRunner.run(
                ["mosquitto_sub", "-h", "127.0.0.1", "-p", String(port), "-t", "$SYS/broker/version", "-C", "1", "-W", "1"],
                timeout: .seconds(3)
            )
            if probe.succeeded { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    /// SIGTERM, and waits for it to exit.
    func stop() async throws {
        guard let process, process.isRunning else { return }
        process.terminate()
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        self.process = nil
    }

    func remove() {
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Passes publishes on, telling `observe` first.
final class RecordingSink: DeliverySink, Sendable {
    let inner: any DeliverySink
    let observe: @Sendable (PublishRequest) -> Void
    init(_ inner: any DeliverySink, observe: @escaping @Sendable (PublishRequest) -> Void) {
        self.inner = inner
        self.observe = observe
    }

    func publish(_ request: PublishRequest, for route: RouteDelivery) {
        observe(request)
        inner.publish(request, for: route)
    }
}
