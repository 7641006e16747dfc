import Foundation
import Testing

/// Each local broker answers a real round trip with the exact payload that was sent.
/// Needs `deploy/brokers.sh start` (done by `deploy/test.sh`).
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: BrokerEnvironment.isConfigured, BrokerEnvironment.disabledReason)
)
struct BrokerSmokeTests {
    let brokers: BrokerEnvironment
    /// Unique per test, so reruns and other tests never see each other's messages.
    let tag = "smoke-\(UUID().uuidString.prefix(8).lowercased())"

    init() throws {
        brokers = try BrokerEnvironment.load()
    }

    // MARK: MQTT

    /// QoS 1 through a persistent session: subscribe and leave, publish, come back for it.
    /// No race between subscriber and publisher, and the broker's session queue is exercised.
    private func mqttRoundTrip(_ urlKey: String, extra: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (host, port) = try brokers.endpoint(urlKey)
        let connection = ["-h", host, "-p", String(port)] + extra
        let topic = "bridge/\(tag)/\(urlKey.lowercased())"
        let payload = "payload \(tag) via \(urlKey) ✓"
        let session = ["-i", "\(tag)-sub", "-t", topic, "-q", "1"]

        let subscribe = try ProcessRunner.run(["mosquitto_sub"] + connection + session + ["-c", "-E"])
        try #require(subscribe.succeeded, "subscribe: \(subscribe)", sourceLocation: sourceLocation)
        let publish = try ProcessRunner.run(
            ["mosquitto_pub"] + connection + ["-i", "\(tag)-pub", "-t", topic, "-q", "1", "-m", payload])
        try #require(publish.succeeded, "publish: \(publish)", sourceLocation: sourceLocation)
        let receive = try ProcessRunner.run(["mosquitto_sub"] + connection + session + ["-c", "-C", "1", "-W", "10"])
        // A clean-session connect removes the session again.
        _ = try ProcessRunner.run(["mosquitto_sub"] + connection + ["-i", "\(tag)-sub", "-t", topic, "-E"])

        try #require(receive.succeeded, "receive: \(receive)", sourceLocation: sourceLocation)
        #expect(receive.stdout == payload + "\n", sourceLocation: sourceLocation)
    }

    @Test func mosquittoAnonymous() throws {
        try mqttRoundTrip("MQTT_URL")
    }

    @Test func mosquittoPassword() throws {
        try mqttRoundTrip("MQTT_AUTH_URL", extra: ["-u", try brokers["MQTT_USER"], "-P", try brokers["MQTT_PASSWORD"]])
    }

    @Test func mosquittoRejectsAnonymousOnPasswordListener() throws {
        let (host, port) = try brokers.endpoint("MQTT_AUTH_URL")
        let publish = try ProcessRunner.run(["mosquitto_pub", "-h", host, "-p", String(port), "-t", "x", "-m", "x", "-q", "1"])
        #expect(!publish.succeeded, "anonymous publish on the password listener must fail: \(publish)")
    }

    @Test func mosquittoTLSWithClientCertificate() throws {
        try mqttRoundTrip(
            "MQTTS_URL",
            extra: [
                "--cafile", try brokers["MQTT_CA_FILE"], "--cert", try brokers["MQTT_CLIENT_CERT"],
                "--key", try brokers["MQTT_CLIENT_KEY"],
            ])
    }

    @Test func secondMosquitto() throws {
        try mqttRoundTrip("MQTT2_URL")
    }

    @Test func rabbitMQMQTTPlugin() throws {
        try mqttRoundTrip("RABBIT_MQTT_URL")
    }

    // MARK: AMQP 0-9-1

    private func amqpRoundTrip(_ urlKey: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = try brokers[urlKey]
        let queue = "\(tag).\(urlKey.lowercased())"
        let payload = "payload \(tag) via \(urlKey) ✓"

        let declare = try ProcessRunner.run(["amqp-declare-queue", "-u", url, "-q", queue])
        try #require(declare.succeeded, "declare: \(declare)", sourceLocation: sourceLocation)
        defer { _ = try? ProcessRunner.run(["amqp-delete-queue", "-u", url, "-q", queue]) }
        let publish = try ProcessRunner.run(["amqp-publish", "-u", url, "-r", queue, "-b", payload])
        try #require(publish.succeeded, "publish: \(publish)", sourceLocation: sourceLocation)
        // The queue may take a moment to hold the message the default exchange routed to it.
        let get = try ProcessRunner.retry(["amqp-get", "-u", url, "-q", queue])
        try #require(get.succeeded, "get: \(get)", sourceLocation: sourceLocation)
        #expect(get.stdout == payload, sourceLocation: sourceLocation)
    }

    @Test func rabbitMQDefaultVhost() throws {
        try amqpRoundTrip("AMQP_URL")
    }

    @Test func rabbitMQVhostB() throws {
        try amqpRoundTrip("AMQP_URL_B")
    }

    @Test func rabbitmqctlWrapper() throws {
        let vhosts = try ProcessRunner.run([try brokers["RABBITMQCTL"], "-q", "list_vhosts"], timeout: .seconds(60))
        try #require(vhosts.succeeded, "\(vhosts)")
        #expect(Set(vhosts.stdout.split(separator: "\n").map(String.init)).isSuperset(of: ["/", "b"]))
    }

    // MARK: Kafka mock

    private func control(_ command: String) throws -> String {
        let output = try ProcessRunner.run(
            ["socat", "-t", "5", "-", "UNIX-CONNECT:\(try brokers["KAFKA_CONTROL"])"], input: command + "\n")
        try #require(output.succeeded, "control \(command): \(output)")
        return output.stdout
    }

    @Test func kafkaMockTopicsFromStartup() throws {
        let metadata = try ProcessRunner.run(["kcat", "-L", "-b", try brokers["KAFKA_BOOTSTRAP"], "-t", "bridge.smoke", "-m", "10"])
        try #require(metadata.succeeded, "\(metadata)")
        #expect(metadata.stdout.contains("3 brokers:"))
        #expect(metadata.stdout.contains("topic \"bridge.smoke\" with 3 partitions"))
    }

    @Test func kafkaMockRoundTrip() throws {
        let bootstrap = try brokers["KAFKA_BOOTSTRAP"]
        let topic = "\(tag).kafka"
        let payload = "payload \(tag) via kafka ✓"
        #expect(try control("topic create \(topic) 1") == "ok\n")

        let produce = try ProcessRunner.run(
            ["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-X", "acks=all"], input: payload + "\n")
        try #require(produce.succeeded, "produce: \(produce)")
        let consume = try ProcessRunner.run(
            ["kcat", "-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%s\\n"])
        try #require(consume.succeeded, "consume: \(consume)")
        #expect(consume.stdout == payload + "\n")
    }

    @Test func kafkaMockControlSocket() throws {
        #expect(try control("ping") == "ok\n")
        #expect(try control("broker down 1") == "ok\n")
        #expect(try control("broker up 1") == "ok\n")
        #expect(try control("broker down 99").hasPrefix("error: "))
        #expect(try control("topic create bridge.smoke 3").hasPrefix("error: "))
        #expect(try control("no such command").hasPrefix("error: "))

        // Every broker is back: a produce to each partition of bridge.smoke succeeds.
        let bootstrap = try brokers["KAFKA_BOOTSTRAP"]
        for partition in 0..<3 {
            let produce = try ProcessRunner.run(
                ["kcat", "-P", "-b", bootstrap, "-t", "bridge.smoke", "-p", String(partition), "-X", "acks=all"],
                input: "after broker up \(tag)\n")
            #expect(produce.succeeded, "produce to partition \(partition): \(produce)")
        }
    }
}
