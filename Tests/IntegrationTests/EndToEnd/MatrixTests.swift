import AMQPProtocol
import Foundation
import MQTTProtocol
import NIOCore
import Testing

/// Every protocol pair through one `message-bridge run` process and the real brokers, and
/// CONTRACT section 4 cell by cell: one route per pair (and an MQTT 3.1.1 destination, and a
/// fan-out to AMQP and Kafka), four messages per route with every field of the envelope set
/// (payload 0...255, empty, 1 MiB, and an "odd" one with a binary correlation id, a header
/// that is no UTF-8 and no message id), each field asserted at the destination exactly as
/// section 4 and its "Exact values" say, and `bridge_fields_dropped_total` exactly.
@Suite(
    "End to end: every protocol pair and the mapping table", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct MatrixTests {
    enum Proto: String {
        case mqtt, kafka, amqp
        /// An MQTT 3.1.1 publisher on the MQTT 3.1.1 connection: payload only.
        case mqtt3
    }

    enum Variant: String, CaseIterable {
        /// Every byte value, every field.
        case full
        /// An empty payload, every field.
        case empty
        /// 1 MiB, every field.
        case big
        /// No message id, a correlation id that is no UTF-8 (not from AMQP), a header `bin`
        /// whose value is no UTF-8 (Kafka and AMQP sources).
        case odd
    }

    /// One route of the matrix.
    struct Pair {
        var route: String
        var source: Proto
        /// Destination protocols; `mqtt3` is the MQTT 3.1.1 connection.
        var destinations: [String]
        var variants: [Variant] = Variant.allCases
    }

    static let pairs: [Pair] = [
        Pair(route: "m2m", source: .mqtt, destinations: ["mqtt"]),
        Pair(route: "m2m3", source: .mqtt, destinations: ["mqtt3"]),
        Pair(route: "m2k", source: .mqtt, destinations: ["kafka"]),
        Pair(route: "m2a", source: .mqtt, destinations: ["amqp"]),
        Pair(route: "k2m", source: .kafka, destinations: ["mqtt"]),
        Pair(route: "k2k", source: .kafka, destinations: ["kafka"]),
        Pair(route: "k2a", source: .kafka, destinations: ["amqp"]),
        Pair(route: "a2m", source: .amqp, destinations: ["mqtt"]),
        Pair(route: "a2k", source: .amqp, destinations: ["kafka"]),
        Pair(route: "a2a", source: .amqp, destinations: ["amqp"]),
        Pair(route: "fan", source: .mqtt, destinations: ["amqp", "kafka"], variants: [.full]),
        Pair(route: "m3k", source: .mqtt3, destinations: ["kafka"], variants: [.full, .empty, .big]),
    ]

    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    static let tracestate = "vendor=1,other=x"
    static let contentType = "application/x-e2e; v=1"
    static let kafkaTimestamp: Int64 = 1_700_000_123_456
    static let amqpTimestamp: UInt64 = 1_700_000_123
    static let key = "key-7"
    static let bigPayload: [UInt8] = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    static let notUTF8: [UInt8] = [0xff, 0xfe, 0x00]
    /// The text headers every source sends, in this order.
    static let textHeaders: [(String, String)] = [
        ("site", "north"), ("traceparent", traceparent), ("tracestate", tracestate), ("umlaut", "grüße ✓"),
    ]

    let tag = Peers.tag()
    let brokers: BrokerEnvironment

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    static func payload(_ variant: Variant) -> [UInt8] {
        switch variant {
        case .full: Array(0...255)
        case .empty: []
        case .big: bigPayload
        case .odd: Array("odd".utf8)
        }
    }

    static func variant(of payload: [UInt8]) -> Variant? {
        Variant.allCases.first { Self.payload($0) == payload }
    }

    func messageID(_ route: String, _ variant: Variant) -> String? {
        variant == .odd ? nil : "\(tag)-\(route)-\(variant.rawValue)"
    }

    static func correlation(_ source: Proto, _ variant: Variant) -> [UInt8] {
        // AMQP 0-9-1 carries correlation_id as a short string: text only.
        variant == .odd && source != .amqp ? [0xff, 0x00, 0xfe] : Array("corr-\(variant.rawValue)".utf8)
    }

    var replyTo: String { "reply/\(tag)" }

    /// `bridge-hops` at the destination: one more than it arrived with (the odd message
    /// arrives with 2, the others with none).
    static func hopsAfter(_ variant: Variant) -> String { variant == .odd ? "3" : "1" }

    // MARK: - Addresses

    func mqttSourceTopic(_ route: String) -> String { "e2e/\(tag)/in/\(route)/line7" }
    func mqttDestinationTopic(_ route: String) -> String { "e2e/\(tag)/out/\(route)" }
    static func kafkaSourceTopic(_ route: String) -> String { "in.\(route)" }
    static func kafkaDestinationTopic(_ route: String) -> String { "out.\(route)" }
    func amqpSourceQueue(_ route: String) -> String { "e2e.\(tag).in.\(route)" }
    func amqpDestinationQueue(_ route: String) -> String { "e2e.\(tag).out.\(route)" }

    func routeFile(kafka: String) throws -> String {
        var routes = ""
        for pair in Self.pairs {
            routes += "  - name: \(pair.route)\n"
            switch pair.source {
            case .mqtt: routes += "    from: { connection: mq, topic: \"e2e/\(tag)/in/\(pair.route)/#\" }\n"
            case .kafka: routes += "    from: { connection: kf, topic: \(Self.kafkaSourceTopic(pair.route)), start: earliest }\n"
            case .amqp: routes += "    from: { connection: rb, queue: \(amqpSourceQueue(pair.route)) }\n"
            case .mqtt3: routes += "    from: { connection: mq3, topic: \"e2e/\(tag)/in/\(pair.route)/#\" }\n"
            }
            routes += "    to:\n"
            for destination in pair.destinations {
                switch destination {
                case "mqtt": routes += "      - { connection: mq, topic: \"\(mqttDestinationTopic(pair.route))\", qos: 1 }\n"
                case "mqtt3": routes += "      - { connection: mq3, topic: \"\(mqttDestinationTopic(pair.route))\", qos: 1 }\n"
                case "kafka": routes += "      - { connection: kf, topic: \(Self.kafkaDestinationTopic(pair.route)) }\n"
                default: routes += "      - { connection: rb, exchange: \"\", routing_key: \(amqpDestinationQueue(pair.route)) }\n"
                }
            }
        }
        return """
            version: 1
            bridge:
              name: e2e-\(tag)
              instance: m
              http: 127.0.0.1:{{PORT}}
              shutdown_timeout: 5s
              max_message_size: 2MiB
            connections:
              mq: { protocol: mqtt, url: "\(try brokers["MQTT_URL"])", mqtt_version: 5, session_expiry: 1m }
              mq3: { protocol: mqtt, url: "\(try brokers["MQTT2_URL"])", mqtt_version: "3.1.1" }
              kf:
                protocol: kafka
                bootstrap_servers: \(kafka)
                group_id: e2e-\(tag)
                properties: { message.max.bytes: "4000000", session.timeout.ms: "6000" }
              rb: { protocol: amqp, url: "\(try brokers["AMQP_URL"])" }
            routes:
            \(routes)
            """
    }

    // MARK: - Publishing

    func publishMQTT(_ peer: MQTTPeer, _ pair: Pair) throws {
        for variant in pair.variants {
            var properties = MQTTProperties()
            for (name, value) in Self.textHeaders { properties.append(.userProperty(name: name, value: value)) }
            properties.append(.userProperty(name: "bridge-key", value: Self.key))
            if let id = messageID(pair.route, variant) { properties.append(.userProperty(name: "message-id", value: id)) }
            if variant == .odd { properties.append(.userProperty(name: "bridge-hops", value: "2")) }
            properties.append(.contentType(Self.contentType))
            properties.append(.correlationData(ByteBuffer(bytes: Self.correlation(.mqtt, variant))))
            properties.append(.responseTopic(replyTo))
            properties.append(.messageExpiryInterval(3600))
            let code = try peer.publish(mqttSourceTopic(pair.route), payload: Self.payload(variant), properties: properties)
            #expect(code.rawValue < 0x80, "PUBACK \(code) for \(pair.route) \(variant)")
        }
    }

    func publishKafka(_ pair: Pair, bootstrap: String) throws {
        let records = pair.variants.map { variant in
            var headers: [(name: String, value: [UInt8])] = Self.textHeaders.map { ($0.0, Array($0.1.utf8)) }
            headers.append(("content-type", Array(Self.contentType.utf8)))
            headers.append(("correlation-id", Self.correlation(.kafka, variant)))
            if let id = messageID(pair.route, variant) { headers.append(("message-id", Array(id.utf8))) }
            headers.append(("reply-to", Array(replyTo.utf8)))
            if variant == .odd {
                headers.append(("bin", Self.notUTF8))
                headers.append(("nul", Array("a\u{0}b".utf8)))  // UTF-8, but MQTT refuses U+0000
                headers.append(("bridge-hops", Array("2".utf8)))
            }
            return KafkaPeer.Record(key: Array(Self.key.utf8), value: Self.payload(variant), headers: headers, timestamp: Self.kafkaTimestamp)
        }
        try KafkaPeer.produce(records, to: Self.kafkaSourceTopic(pair.route), bootstrap: bootstrap)
    }

    func publishAMQP(_ client: AMQPTestClient, _ pair: Pair) throws {
        for variant in pair.variants {
            var table = FieldTable()
            for (name, value) in Self.textHeaders { table.append(name: name, value: .string(value)) }
            table.append(name: "count", value: .int32(42))
            table.append(name: "flag", value: .bool(true))
            table.append(name: "nested", value: .table(FieldTable([.init(name: "a", value: .int8(1)), .init(name: "b", value: .string("x"))])))
            table.append(name: "when", value: .timestamp(Self.amqpTimestamp))
            table.append(name: "list", value: .array([.string("a"), .int8(1), .bool(true)]))
            table.append(name: "ratio", value: .double(2.5))
            table.append(name: "price", value: .decimal(scale: 2, value: 1234))
            table.append(name: "bridge-key", value: .string(Self.key))
            table.append(name: "x-death", value: .string("set by a publisher, owned by the broker"))
            // RabbitMQ routes a copy to each CC routing key (none is bound here) and keeps the
            // header: forwarded, it would re-route the message at the next AMQP broker.
            table.append(name: "CC", value: .array([.string("e2e.\(tag).nowhere")]))
            if variant == .odd {
                table.append(name: "bin", value: .bytes(ByteBuffer(bytes: Self.notUTF8)))
                table.append(name: "bridge-hops", value: .int32(2))  // typed: an integer, not text
            }
            let properties = BasicProperties(
                contentType: Self.contentType, headers: table, deliveryMode: 2,
                correlationID: String(decoding: Self.correlation(.amqp, variant), as: UTF8.self), replyTo: replyTo,
                expiration: "3600000", messageID: messageID(pair.route, variant), timestamp: Self.amqpTimestamp
            )
            let confirmed = try client.publish(routingKey: amqpSourceQueue(pair.route), bytes: Self.payload(variant), properties: properties)
            #expect(confirmed, "publish to \(amqpSourceQueue(pair.route)) nacked")
        }
    }

    // MARK: - Expected values

    /// The message's own headers (no `bridge-*`, no mapped field) as a text-only destination
    /// must show them, in order.
    static func expectedText(_ source: Proto, _ variant: Variant) -> [String] {
        var out = textHeaders.map { "\($0.0)=\($0.1)" }
        if source == .amqp {
            out += [
                "count=42", "flag=true", "nested={\"a\":1,\"b\":\"x\"}", "when=2023-11-14T22:15:23Z", "list=[\"a\",1,true]",
                "ratio=2.5", "price=12.34",
            ]
        }
        return out  // "bin" (no UTF-8) and "nul" (U+0000) are dropped; x-death and CC never pass
    }

    /// As Kafka must show them: text as UTF-8, a binary header as its bytes.
    static func expectedKafka(_ source: Proto, _ variant: Variant) -> [String] {
        var out = expectedText(source, variant)
        if variant == .odd && source != .mqtt { out.append("bin=0x" + Peers.hex(notUTF8)) }
        if variant == .odd && source == .kafka { out.append("nul=a\u{0}b") }
        return out
    }

    /// As AMQP must show them: typed values kept (integers as 64-bit), text as long strings.
    static func expectedAMQP(_ source: Proto, _ variant: Variant) -> [FieldTable.Entry] {
        var out = textHeaders.map { FieldTable.Entry(name: $0.0, value: .string($0.1)) }
        if source == .amqp {
            out.append(.init(name: "count", value: .int64(42)))
            out.append(.init(name: "flag", value: .bool(true)))
            out.append(.init(name: "nested", value: .table(FieldTable([.init(name: "a", value: .int64(1)), .init(name: "b", value: .string("x"))]))))
            out.append(.init(name: "when", value: .timestamp(amqpTimestamp)))
            out.append(.init(name: "list", value: .array([.string("a"), .int64(1), .bool(true)])))
            out.append(.init(name: "ratio", value: .double(2.5)))
            out.append(.init(name: "price", value: .decimal(scale: 2, value: 1234)))
        }
        if variant == .odd && source != .mqtt { out.append(.init(name: "bin", value: .bytes(ByteBuffer(bytes: notUTF8)))) }
        if variant == .odd && source == .kafka { out.append(.init(name: "nul", value: .string("a\u{0}b"))) }
        return out
    }

    /// What `bridge-id` must be for a message of `pair` (nil: a fresh UUID).
    func expectedBridgeID(_ pair: Pair, _ variant: Variant) throws -> (exact: String?, prefix: String?, suffix: String?) {
        switch pair.source {
        case .mqtt3:
            let sha = try Peers.sha256Prefix(Array(mqttSourceTopic(pair.route).utf8) + [0] + Self.payload(variant))
            return (nil, "mqtt:e2e-\(tag)-m-\(pair.route):", ":" + sha)
        case .mqtt:
            if let id = messageID(pair.route, variant) { return (id, nil, nil) }
            // mqtt:<client id>:<packet id>:<first 8 hex of sha-256(topic, 0x00, payload)>
            let sha = try Peers.sha256Prefix(Array(mqttSourceTopic(pair.route).utf8) + [0] + Self.payload(variant))
            return (nil, "mqtt:e2e-\(tag)-m-\(pair.route):", ":" + sha)
        case .kafka:
            let offset = pair.variants.firstIndex(of: variant)!
            return ("kafka:kf:\(Self.kafkaSourceTopic(pair.route)):0:\(offset)", nil, nil)
        case .amqp:
            if let id = messageID(pair.route, variant) { return ("amqp:rb:\(id)", nil, nil) }
            return (nil, nil, nil)
        }
    }

    func checkBridgeID(_ value: String?, _ pair: Pair, _ variant: Variant, _ where_: String) throws {
        let expected = try expectedBridgeID(pair, variant)
        let context = "\(pair.route) \(variant) at \(where_): bridge-id \(value ?? "nil")"
        guard let value else {
            Issue.record("\(context) missing")
            return
        }
        if let exact = expected.exact {
            #expect(value == exact, "\(context), expected \(exact)")
        } else if let prefix = expected.prefix, let suffix = expected.suffix {
            let middle = value.hasPrefix(prefix) && value.hasSuffix(suffix) ? value.dropFirst(prefix.count).dropLast(suffix.count) : ""
            #expect(UInt16(middle).map { $0 > 0 } == true, "\(context), expected \(prefix)<packet id>\(suffix)")
        } else {
            #expect(UUID(uuidString: value) != nil && value == value.lowercased(), "\(context), expected a lower-case UUID")
        }
    }

    // MARK: - Checks per destination

    func checkMQTT(_ message: MQTTPeer.Message, _ pair: Pair, _ variant: Variant) throws {
        let at = "\(pair.route) \(variant) at MQTT 5"
        #expect(message.payload == Self.payload(variant), "\(at): payload \(Peers.hex(message.payload))")
        let mapped: Set<String> = ["bridge-id", "bridge-hops", "bridge-key", "message-id", "bridge-redelivered"]
        let own = message.userProperties.filter { !mapped.contains($0.name) }.map { "\($0.name)=\($0.value)" }
        #expect(own == Self.expectedText(pair.source, variant), "\(at): user properties")
        for name in ["bridge-id", "bridge-hops", "bridge-key"] {
            #expect(message.userProperties.filter { $0.name == name }.count == 1, "\(at): one \(name)")
        }
        #expect(message.user("bridge-key") == Self.key, "\(at): key")
        #expect(message.user("message-id") == messageID(pair.route, variant), "\(at): message-id")
        #expect(message.user("bridge-hops") == Self.hopsAfter(variant), "\(at): bridge-hops \(message.user("bridge-hops") ?? "nil")")
        #expect(message.user("bridge-redelivered") == nil, "\(at): bridge-redelivered on a first delivery")
        try checkBridgeID(message.user("bridge-id"), pair, variant, "MQTT 5")
        #expect(message.contentType == Self.contentType, "\(at): content-type")
        #expect(message.correlationData == Self.correlation(pair.source, variant), "\(at): correlation-data \(Peers.hex(message.correlationData))")
        #expect(message.responseTopic == replyTo, "\(at): response-topic")
        if pair.source == .kafka {
            #expect(message.expiryInterval == nil, "\(at): Kafka has no expiry")
        } else {
            // 3600 s left when sent; rounded up, and the trip takes a few seconds at most.
            #expect((3590...3600).contains(message.expiryInterval ?? 0), "\(at): message-expiry-interval \(message.expiryInterval ?? 0)")
        }
    }

    func checkMQTT311(_ message: MQTTPeer.Message, _ pair: Pair, _ variant: Variant) {
        #expect(message.payload == Self.payload(variant), "\(pair.route) \(variant) at MQTT 3.1.1: payload")
        #expect(message.properties.isEmpty, "\(pair.route) \(variant): MQTT 3.1.1 carries no properties")
    }

    func checkKafka(_ record: KafkaRecord, _ pair: Pair, _ variant: Variant, sentAfter: Date) throws {
        let at = "\(pair.route) \(variant) at Kafka"
        #expect(record.value == Self.payload(variant), "\(at): value \(Peers.hex(record.value))")
        #expect(record.key == Array(Self.key.utf8), "\(at): key \(Peers.hex(record.key))")
        let mapped: Set<String> = ["content-type", "correlation-id", "message-id", "reply-to", "bridge-id", "bridge-hops", "bridge-redelivered"]
        let own = record.headers.filter { !mapped.contains($0.name) }.map { header in
            "\(header.name)=" + (String(validating: header.value, as: UTF8.self) ?? "0x" + Peers.hex(header.value))
        }
        #expect(own == Self.expectedKafka(pair.source, variant), "\(at): headers")
        for name in ["content-type", "correlation-id", "reply-to", "bridge-id", "bridge-hops"] {
            #expect(record.headers.filter { $0.name == name }.count == 1, "\(at): one \(name)")
        }
        #expect(record.header("content-type") == Self.contentType, "\(at): content-type")
        #expect(record.headers.first { $0.name == "correlation-id" }?.value == Self.correlation(pair.source, variant), "\(at): correlation-id")
        #expect(record.header("message-id") == messageID(pair.route, variant), "\(at): message-id")
        #expect(record.header("reply-to") == replyTo, "\(at): reply-to")
        #expect(record.header("bridge-hops") == Self.hopsAfter(variant), "\(at): bridge-hops \(record.header("bridge-hops") ?? "nil")")
        try checkBridgeID(record.header("bridge-id"), pair, variant, "Kafka")
        switch pair.source {
        case .kafka: #expect(record.timestamp == Self.kafkaTimestamp, "\(at): timestamp \(record.timestamp)")
        case .amqp: #expect(record.timestamp == Int64(Self.amqpTimestamp) * 1000, "\(at): timestamp \(record.timestamp)")
        case .mqtt, .mqtt3:
            // MQTT has no timestamp: the record gets its produce time.
            let ms = Int64(sentAfter.timeIntervalSince1970 * 1000)
            #expect(record.timestamp >= ms - 1000 && record.timestamp <= Int64(Date().timeIntervalSince1970 * 1000), "\(at): timestamp \(record.timestamp)")
        }
    }

    /// From an MQTT 3.1.1 source only the payload comes: no key, no header but the bridge's,
    /// the record stamped when produced.
    func checkKafkaFrom311(_ record: KafkaRecord, _ pair: Pair, _ variant: Variant, sentAfter: Date) throws {
        let at = "\(pair.route) \(variant) at Kafka"
        #expect(record.value == Self.payload(variant), "\(at): value \(Peers.hex(record.value))")
        #expect(record.key == nil, "\(at): no key \(Peers.hex(record.key))")
        #expect(record.headers.map(\.name) == ["bridge-id", "bridge-hops"], "\(at): headers \(record.headers.map(\.name))")
        #expect(record.header("bridge-hops") == "1", "\(at): bridge-hops")
        try checkBridgeID(record.header("bridge-id"), pair, variant, "Kafka")
        let ms = Int64(sentAfter.timeIntervalSince1970 * 1000)
        #expect(record.timestamp >= ms - 1000 && record.timestamp <= Int64(Date().timeIntervalSince1970 * 1000), "\(at): timestamp \(record.timestamp)")
    }

    func checkAMQP(_ message: AMQPTestClient.Message, _ pair: Pair, _ variant: Variant) throws {
        let at = "\(pair.route) \(variant) at AMQP"
        let p = message.properties
        #expect(message.body == Self.payload(variant), "\(at): body \(Peers.hex(message.body))")
        let bridgeOwned: Set<String> = ["bridge-id", "bridge-hops", "bridge-key", "bridge-redelivered"]
        let own = (p.headers?.entries ?? []).filter { !bridgeOwned.contains($0.name) }
        #expect(own == Self.expectedAMQP(pair.source, variant), "\(at): headers \(own)")
        #expect(p.headers?["bridge-key"] == .string(Self.key), "\(at): bridge-key \(String(describing: p.headers?["bridge-key"]))")
        #expect(p.headers?["bridge-hops"] == .string(Self.hopsAfter(variant)), "\(at): bridge-hops \(String(describing: p.headers?["bridge-hops"]))")
        #expect(p.headers?["bridge-redelivered"] == nil, "\(at): bridge-redelivered on a first delivery")
        try checkBridgeID(p.headers?["bridge-id"]?.stringValue, pair, variant, "AMQP")
        #expect(p.contentType == Self.contentType, "\(at): content_type")
        let correlation = Self.correlation(pair.source, variant)
        #expect(p.correlationID == String(validating: correlation, as: UTF8.self), "\(at): correlation_id \(p.correlationID ?? "nil")")
        #expect(p.messageID == messageID(pair.route, variant), "\(at): message_id")
        #expect(p.replyTo == replyTo, "\(at): reply_to")
        switch pair.source {
        case .kafka:
            #expect(p.timestamp == UInt64(Self.kafkaTimestamp / 1000), "\(at): timestamp")
            #expect(p.expiration == nil, "\(at): Kafka has no expiry")
        case .amqp:
            #expect(p.timestamp == Self.amqpTimestamp, "\(at): timestamp")
            #expect((3_590_000...3_600_000).contains(Int(p.expiration ?? "") ?? 0), "\(at): expiration \(p.expiration ?? "nil")")
        case .mqtt, .mqtt3:
            #expect(p.timestamp == nil, "\(at): MQTT has no timestamp")
            #expect((3_590_000...3_600_000).contains(Int(p.expiration ?? "") ?? 0), "\(at): expiration \(p.expiration ?? "nil")")
        }
    }

    /// `bridge_fields_dropped_total{route,field}` each route must show after its messages.
    static func expectedDrops(_ pair: Pair) -> [String: Int] {
        let n = pair.variants.count
        let withID = pair.variants.filter { $0 != .odd }.count
        switch pair.route {
        case "m2m", "k2k": return [:]
        case "m2m3":
            var out = ["key": n, "content_type": n, "correlation_id": n, "message_id": withID, "reply_to": n, "expiry": n]
            for (name, _) in textHeaders { out["header:\(name)"] = n }
            return out
        case "m2k": return ["expiry": n]
        case "m2a", "k2a": return ["correlation_id": 1]  // the odd one's binary correlation id
        case "k2m": return ["timestamp": n, "header:bin": 1, "header:nul": 1]
        case "a2m": return ["timestamp": n, "header:x-death": n, "header:CC": n, "header:bin": 1]
        case "a2k": return ["expiry": n, "header:x-death": n, "header:CC": n]
        case "a2a": return ["header:x-death": n, "header:CC": n]
        case "fan": return ["expiry": n]
        case "m3k": return [:]
        default: return [:]
        }
    }

    // MARK: - The test

    @Test("every pair, every cell of section 4, through one bridge process")
    func everyPairEveryField() throws {
        let started = Date()
        let directory = try Peers.directory("e2e-matrix")
        var topics: [String: Int] = [:]
        for pair in Self.pairs {
            if pair.source == .kafka { topics[Self.kafkaSourceTopic(pair.route)] = 1 }
            if pair.destinations.contains("kafka") { topics[Self.kafkaDestinationTopic(pair.route)] = 1 }
        }
        let cluster = try KafkaMockCluster(topics: topics, brokers: 1)

        // Readers first: MQTT on both brokers, AMQP queues for every AMQP end.
        let mqttReader = try MQTTPeer(try brokers["MQTT_URL"], clientID: "e2e-read-\(tag)")
        defer { mqttReader.close() }
        try mqttReader.subscribe("e2e/\(tag)/out/#")
        let mqtt3Reader = try MQTTPeer(try brokers["MQTT2_URL"], clientID: "e2e-read3-\(tag)", version: .v311)
        defer { mqtt3Reader.close() }
        try mqtt3Reader.subscribe("e2e/\(tag)/out/#")
        let amqp = try AMQPTestClient(try brokers["AMQP_URL"])
        defer {
            for pair in Self.pairs {
                amqp.deleteQueue(amqpSourceQueue(pair.route))
                amqp.deleteQueue(amqpDestinationQueue(pair.route))
            }
            amqp.close()
        }
        for pair in Self.pairs {
            if pair.source == .amqp { try amqp.declareQueue(amqpSourceQueue(pair.route), durable: false) }
            if pair.destinations.contains("amqp") {
                try amqp.declareQueue(amqpDestinationQueue(pair.route), durable: false)
                try amqp.consume(amqpDestinationQueue(pair.route))
            }
        }

        let bridge = try BridgeProcess(name: "matrix", yaml: try routeFile(kafka: cluster.bootstrap), directory: directory)
        defer { _ = bridge.terminate() }
        guard bridge.waitUntilReady() else { return }

        let sentAfter = Date()
        let publisher = try MQTTPeer(try brokers["MQTT_URL"], clientID: "e2e-pub-\(tag)")
        defer { publisher.close() }
        let publisher3 = try MQTTPeer(try brokers["MQTT2_URL"], clientID: "e2e-pub3-\(tag)", version: .v311)
        defer { publisher3.close() }
        for pair in Self.pairs {
            switch pair.source {
            case .mqtt3:
                for variant in pair.variants { try publisher3.publish(mqttSourceTopic(pair.route), payload: Self.payload(variant)) }
            case .mqtt: try publishMQTT(publisher, pair)
            case .kafka: try publishKafka(pair, bootstrap: cluster.bootstrap)
            case .amqp: try publishAMQP(amqp, pair)
            }
        }

        // Every destination's messages, by route.
        let expectedMQTT = Self.pairs.filter { $0.destinations.contains("mqtt") }.reduce(0) { $0 + $1.variants.count }
        let expectedMQTT3 = Self.pairs.filter { $0.destinations.contains("mqtt3") }.reduce(0) { $0 + $1.variants.count }
        let mqttMessages = mqttReader.waitForMessages(count: expectedMQTT, timeout: 30)
        let mqtt3Messages = mqtt3Reader.waitForMessages(count: expectedMQTT3, timeout: 10)
        for pair in Self.pairs {
            for destination in pair.destinations {
                try check(pair, destination, mqtt: mqttMessages, mqtt3: mqtt3Messages, amqp: amqp, kafka: cluster.bootstrap, sentAfter: sentAfter)
            }
            let drops = bridge.fieldsDropped(route: pair.route)
            #expect(drops == Self.expectedDrops(pair), "\(pair.route): bridge_fields_dropped_total \(drops)")
        }
        // Each dropped field is logged once per route and field, however often it is dropped.
        var logged: [String: Int] = [:]
        for line in bridge.logText.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                (object["msg"] as? String)?.hasPrefix("field dropped") == true, let route = object["route"] as? String,
                let field = object["field"] as? String
            else { continue }
            logged["\(route) \(field)", default: 0] += 1
        }
        var expectedLog: [String: Int] = [:]
        for pair in Self.pairs { for field in Self.expectedDrops(pair).keys { expectedLog["\(pair.route) \(field)"] = 1 } }
        #expect(logged == expectedLog, "field-dropped log lines: \(logged.sorted { $0.key < $1.key })")

        // The fan-out: both destinations carry the same bridge-id.
        let fanAMQP = amqp.messages(from: amqpDestinationQueue("fan")).first?.properties.headers?["bridge-id"]?.stringValue
        let fanKafka = try KafkaTestClient.consume(Self.kafkaDestinationTopic("fan"), partitions: 1, bootstrap: cluster.bootstrap, timeout: 5) { !$0.isEmpty }
        #expect(fanAMQP != nil && fanAMQP == fanKafka.first?.header("bridge-id"), "fan-out bridge-ids \(fanAMQP ?? "nil") / \(fanKafka.first?.header("bridge-id") ?? "nil")")

        bridge.assertAtRest(routes: Self.pairs.map(\.route))
        for pair in Self.pairs {
            let counts = RouteRest(MetricSample.parse(bridge.metrics()), route: pair.route)
            #expect(counts.received == pair.variants.count && counts.acked == pair.variants.count, "\(counts)")
        }
        #expect(bridge.terminate() == 0, "SIGTERM: a clean exit\n\(bridge.logTail)")
        print("MatrixTests.everyPairEveryField: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// Finds each variant of `pair` at `destination` and checks it.
    func check(
        _ pair: Pair, _ destination: String, mqtt: [MQTTPeer.Message], mqtt3: [MQTTPeer.Message], amqp: AMQPTestClient, kafka: String,
        sentAfter: Date
    ) throws {
        let count = pair.variants.count
        switch destination {
        case "mqtt", "mqtt3":
            let all = (destination == "mqtt" ? mqtt : mqtt3).filter { $0.topic == mqttDestinationTopic(pair.route) }
            #expect(all.count == count, "\(pair.route) at \(destination): \(all.count) messages, expected \(count)")
            for message in all {
                guard let variant = Self.variant(of: message.payload) else {
                    Issue.record("\(pair.route) at \(destination): a payload that was not sent: \(Peers.hex(message.payload))")
                    continue
                }
                if destination == "mqtt" { try checkMQTT(message, pair, variant) } else { checkMQTT311(message, pair, variant) }
            }
            #expect(all.compactMap { Self.variant(of: $0.payload) } == pair.variants, "\(pair.route) at \(destination): order")
        case "kafka":
            let records = try KafkaTestClient.consume(Self.kafkaDestinationTopic(pair.route), partitions: 1, bootstrap: kafka, timeout: 15) {
                $0.count >= count
            }
            #expect(records.count == count, "\(pair.route) at Kafka: \(records.count) records, expected \(count)")
            for record in records {
                guard let variant = Self.variant(of: record.value ?? [1]) else {
                    Issue.record("\(pair.route) at Kafka: a value that was not sent: \(Peers.hex(record.value))")
                    continue
                }
                if pair.source == .mqtt3 {
                    try checkKafkaFrom311(record, pair, variant, sentAfter: sentAfter)
                } else {
                    try checkKafka(record, pair, variant, sentAfter: sentAfter)
                }
            }
            #expect(records.compactMap { Self.variant(of: $0.value ?? [1]) } == pair.variants, "\(pair.route) at Kafka: order")
        default:
            let messages = amqp.waitForMessages(from: amqpDestinationQueue(pair.route), count: count, timeout: 15)
            #expect(messages.count == count, "\(pair.route) at AMQP: \(messages.count) messages, expected \(count)")
            for message in messages {
                guard let variant = Self.variant(of: message.body) else {
                    Issue.record("\(pair.route) at AMQP: a body that was not sent: \(Peers.hex(message.body))")
                    continue
                }
                try checkAMQP(message, pair, variant)
            }
            #expect(messages.compactMap { Self.variant(of: $0.body) } == pair.variants, "\(pair.route) at AMQP: order")
        }
    }
}
