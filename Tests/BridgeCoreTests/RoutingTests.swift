import NIOCore
import Testing

@testable import BridgeCore

@Suite("Topic filters, allow lists and templates")
struct RoutingTests {
    @Test("MQTT filter matching follows MQTT 5 section 4.7", arguments: [
        ("plant/+/batch/#", "plant/a/batch/7", true),
        ("plant/+/batch/#", "plant/a/batch", true),
        ("plant/+/batch/#", "plant/a/order/7", false),
        ("plant/+", "plant/a/b", false),
        ("plant/+", "plant/", true),
        ("#", "anything/at/all", true),
        ("#", "$SYS/broker/uptime", false),
        ("+/x", "$SYS/x", false),
        ("$SYS/#", "$SYS/broker", true),
        ("a/b", "a/b", true),
        ("a/b", "a/b/c", false),
    ])
    func filterMatching(filter: String, topic: String, matches: Bool) throws {
        #expect(try TopicFilter(filter).matches(topic) == matches)
    }

    @Test("invalid filters are rejected with the reason")
    func invalidFilters() {
        #expect(throws: TopicFilter.Problem.hashNotLast) { try TopicFilter("a/#/b") }
        #expect(throws: TopicFilter.Problem.wildcardInLevel("a+")) { try TopicFilter("a+/b") }
        #expect(throws: TopicFilter.Problem.empty) { try TopicFilter("") }
        #expect(throws: TopicFilter.Problem.sharedInFilter) { try TopicFilter("$share/g/a") }
        #expect(throws: TopicFilter.Problem.nullCharacter) { try TopicFilter("a\u{0}b") }
    }

    @Test("filters that take everything need allow_all")
    func everything() throws {
        #expect(try TopicFilter("#").matchesEverything)
        #expect(try TopicFilter("+/#").matchesEverything)
        #expect(try !TopicFilter("plant/#").matchesEverything)
    }

    @Test("shared subscriptions parse into group and filter")
    func shared() {
        let s = SharedSubscription("$share/bridges/plant/+/batch/#")
        #expect(s?.group == "bridges")
        #expect(s?.filter.text == "plant/+/batch/#")
        #expect(SharedSubscription("$share/bridges") == nil)
        #expect(SharedSubscription("plant/#") == nil)
    }

    @Test("dotted allow patterns: * one segment, # any", arguments: [
        ("quality.*", "quality.results", true),
        ("quality.*", "quality.results.x", false),
        ("quality.#", "quality", true),
        ("quality.#", "quality.a.b", true),
        ("#.results", "a.b.results", true),
        ("a.*.c", "a.b.c", true),
        ("a.*.c", "a.c", false),
    ])
    func dotted(pattern: String, value: String, allowed: Bool) throws {
        #expect(try AllowList([pattern], style: .dotted).allows(value) == allowed)
    }

    func envelope(topic: String = "plant/a/batch/7", protocol proto: BridgeProtocol = .mqtt, headers: Headers = [], key: String? = nil) -> Envelope {
        Envelope(
            payload: ByteBuffer(string: "x"),
            source: SourceRef(protocol: proto, connection: "plant", topic: topic),
            bridgeID: "id",
            key: key.map { ByteBuffer(string: $0) },
            headers: headers
        )
    }

    @Test("templates fill topic, segments, filters, key, headers and route")
    func templates() throws {
        let e = envelope(headers: [("site", .string("eu-1")), ("n", .int(7))], key: "k1")
        #expect(try Template("{topic:dots}").render(e, route: "r") == "plant.a.batch.7")
        #expect(try Template("{topic.1}").render(e, route: "r") == "a")
        #expect(try Template("x/{header.site}/{header.n}/{key}/{route}").render(e, route: "r") == "x/eu-1/7/k1/r")
        #expect(try Template("{{literal}}").render(e, route: "r") == "{literal}")
        let kafka = envelope(topic: "erp.orders.eu", protocol: .kafka)
        #expect(try Template("{topic.2}").render(kafka, route: "r") == "eu")
        #expect(try Template("{topic:slashes}").render(kafka, route: "r") == "erp/orders/eu")
    }

    @Test("template syntax errors name the problem")
    func templateSyntax() throws {
        #expect(throws: Template.SyntaxError.self) { try Template("{topik}") }
        #expect(throws: Template.SyntaxError.self) { try Template("{topic:upper}") }
        #expect(throws: Template.SyntaxError.self) { try Template("{topic") }
        #expect(throws: Template.SyntaxError.self) { try Template("a}") }
        #expect(throws: Template.SyntaxError.self) { try Template("{header.}") }
        #expect(try Template("{header.site}").usesMessageData)
        #expect(try Template("{key}").usesMessageData)
        #expect(try !Template("{topic.1}").usesMessageData)
    }

    @Test("a template that cannot be filled is a permanent template failure")
    func unfillable() throws {
        let dest = DestinationConfig(connection: "plant", target: .mqtt(topic: try Template("out/{header.site}"), qos: 1, retain: false, requireSubscribers: false), allow: try AllowList(["out/+"], style: .mqtt))
        guard case .failure(let f) = dest.resolve(envelope(), route: "r") else { Issue.record("expected a failure"); return }
        #expect(f.reason == .template)
        // A header value with a wildcard cannot become an MQTT topic.
        guard case .failure(let w) = dest.resolve(envelope(headers: [("site", .string("+"))]), route: "r") else { Issue.record("expected a failure"); return }
        #expect(w.reason == .template)
        // A computed topic outside the allow list is not_allowed.
        let wide = DestinationConfig(connection: "plant", target: .mqtt(topic: try Template("{header.site}"), qos: 1, retain: false, requireSubscribers: false), allow: try AllowList(["out/+"], style: .mqtt))
        guard case .failure(let n) = wide.resolve(envelope(headers: [("site", .string("elsewhere/x"))]), route: "r") else { Issue.record("expected a failure"); return }
        #expect(n.reason == .notAllowed)
        #expect(dest.resolve(envelope(headers: [("site", .string("eu"))]), route: "r") == .success(.mqtt(topic: "out/eu")))
    }

    @Test("Kafka topic names and AMQP routing key limits")
    func destinationLimits() throws {
        #expect(DestinationConfig.kafkaTopicProblem("plant.batch_1-x") == nil)
        #expect(DestinationConfig.kafkaTopicProblem("a/b") != nil)
        #expect(DestinationConfig.kafkaTopicProblem(String(repeating: "a", count: 250)) != nil)
        #expect(DestinationConfig.kafkaTopicProblem("..") != nil)
        let amqp = DestinationConfig(connection: "mes", target: .amqp(exchange: "x", routingKey: try Template("{topic}")), allow: nil)
        let long = envelope(topic: String(repeating: "a", count: 256))
        guard case .failure(let f) = amqp.resolve(long, route: "r") else { Issue.record("expected a failure"); return }
        #expect(f.reason == .template)
    }
}

@Suite("Envelope")
struct EnvelopeTests {
    @Test("SHA-256 matches the FIPS 180-4 vectors")
    func sha256() {
        func hex(_ s: String) -> String {
            var h = SHA256()
            h.update(Array(s.utf8))
            return h.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test("bridge-id for MQTT hashes topic, a zero byte and the payload; a message-id wins")
    func mqttBridgeID() {
        var h = SHA256()
        h.update(Array("plant/a".utf8) + [0] + Array("hello".utf8))
        let prefix = h.finalize().prefix(4).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let id = BridgeID.mqtt(clientID: "c-1", packetID: 42, topic: "plant/a", payload: ByteBuffer(string: "hello"), messageID: nil)
        #expect(id == "mqtt:c-1:42:\(prefix)")
        #expect(BridgeID.mqtt(clientID: "c", packetID: 1, topic: "t", payload: ByteBuffer(), messageID: "m-7") == "m-7")
        #expect(BridgeID.kafka(connection: "erp", topic: "t", partition: 2, offset: 99) == "kafka:erp:t:2:99")
        #expect(BridgeID.amqp(connection: "mes", messageID: "abc") == "amqp:mes:abc")
        #expect(BridgeID.amqp(connection: "mes", messageID: nil) != BridgeID.amqp(connection: "mes", messageID: nil))
    }

    @Test("header values become text by the contract's type rules")
    func headerText() {
        #expect(HeaderValue.int(-42).text == "-42")
        #expect(HeaderValue.bool(true).text == "true")
        #expect(HeaderValue.decimal(scale: 2, value: 12345).text == "123.45")
        #expect(HeaderValue.decimal(scale: 3, value: -5).text == "-0.005")
        #expect(HeaderValue.timestamp(0).text == "1970-01-01T00:00:00Z")
        #expect(HeaderValue.timestamp(1_700_000_000).text == "2023-11-14T22:13:20Z")
        #expect(HeaderValue.bytes([0xff, 0xfe]).text == nil)
        let nested = HeaderValue.table([("a", .int(1)), ("b", .array([.string("x\"y"), .bool(false), .null]))])
        #expect(nested.text == #"{"a":1,"b":["x\"y",false,null]}"#)
    }

    @Test("expiry is the time left, rounded up; expired is zero")
    func expiry() {
        let now = NIODeadline.now()
        var e = Envelope(payload: ByteBuffer(), source: SourceRef(protocol: .mqtt, connection: "c", topic: "t"), bridgeID: "i", receivedAt: now)
        #expect(e.remainingExpiry(roundedUpTo: .seconds(1), at: now) == nil)
        e.expiresAt = now + .milliseconds(1500)
        #expect(e.remainingExpiry(roundedUpTo: .seconds(1), at: now) == 2)
        #expect(e.remainingExpiry(roundedUpTo: .milliseconds(1), at: now) == 1500)
        #expect(e.remainingExpiry(roundedUpTo: .seconds(1), at: now + .seconds(2)) == 0)
    }

    @Test("bridge-source names protocol, connection, topic and Kafka partition:offset")
    func bridgeSource() {
        #expect(SourceRef(protocol: .kafka, connection: "erp", topic: "t", partition: 1, offset: 5).bridgeSource == "kafka://erp/t#1:5")
        #expect(SourceRef(protocol: .amqp, connection: "mes", topic: "rk", name: "q").bridgeSource == "amqp://mes/q")
        #expect(BridgeHeader.isBrokerOwnedAMQP("x-death"))
        #expect(BridgeHeader.isBrokerOwnedAMQP("x-first-death-queue"))
        #expect(BridgeHeader.isBrokerOwnedAMQP("CC"))
        #expect(!BridgeHeader.isBrokerOwnedAMQP("x-custom"))
    }
}
