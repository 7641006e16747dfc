import BridgeAMQP
import BridgeCore
import BridgeKafka
import BridgeMQTT
import NIOCore
import NIOPosix

/// `check --connect`: connects to every broker of the configuration, authenticates, and
/// checks passively what the routes name.
///
/// - MQTT: CONNECT with the connection's credentials and TLS (a non-persistent session with
///   the client id `<client_id>-<instance>-check`); the CONNACK's refusal is reported.
/// - AMQP 0-9-1: opens the vhost with the credentials, then `queue.declare passive` for the
///   source queues the routes do not declare and `exchange.declare passive` for the
///   destination and dead-letter exchanges.
/// - Kafka: fetches the metadata and checks every topic the routes name exists.
public enum ConnectCheck {
    public struct Report: Sendable {
        public var ok: Bool
        public var report: [String]
    }

    public static func run(_ config: BridgeConfig, timeout: TimeAmount = .seconds(10)) async -> Report {
        var ok = true
        var lines: [String] = []
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        for connection in config.connections {
            let label = "connection \(connection.name) (\(connection.protocol))"
            switch connection.settings {
            case .mqtt(let settings):
                let outcome = await MQTTConnectionCheck.run(
                    name: connection.name, settings: settings, instance: config.bridge.instance, eventLoop: eventLoop, timeout: timeout
                )
                switch outcome {
                case .connected:
                    lines.append("\(label): connected and authenticated")
                case .failed(let why):
                    ok = false
                    lines.append("\(label): FAILED: \(why)")
                }
            case .amqp(let settings):
                let names = AMQPConnectionCheck.names(on: connection.name, in: config)
                let report = await AMQPConnectionCheck.run(
                    name: connection.name, settings: settings, queues: names.queues, exchanges: names.exchanges,
                    eventLoop: eventLoop, timeout: timeout
                )
                if report.ok {
                    var line = "\(label): connected and authenticated"
                    if !names.queues.isEmpty { line += "; queues exist: \(names.queues.joined(separator: ", "))" }
                    if !names.exchanges.isEmpty { line += "; exchanges exist: \(names.exchanges.joined(separator: ", "))" }
                    lines.append(line)
                } else {
                    ok = false
                    if !report.connected && report.problems.isEmpty { lines.append("\(label): FAILED: could not connect") }
                    for problem in report.problems { lines.append("\(label): FAILED: \(problem)") }
                }
            case .kafka(let settings):
                let topics = kafkaTopics(of: connection.name, in: config)
                let problems = KafkaTopicCheck.run(settings: settings, topics: topics)
                if problems.isEmpty {
                    lines.append("\(label): metadata fetched; topics exist: \(topics.sorted().joined(separator: ", "))")
                } else {
                    ok = false
                    for problem in problems { lines.append("\(label): FAILED: \(problem)") }
                }
            case .amqp10(let settings):
                let result = await amqp10(connection, settings: settings, config: config, eventLoop: eventLoop, timeout: timeout)
                ok = ok && result.ok
                lines += result.lines
            }
        }
        return Report(ok: ok, report: lines)
    }

    /// The topics the routes name on a Kafka connection: source topics (not `^` patterns) and
    /// destination and dead-letter topics without placeholders.
    static func kafkaTopics(of connection: String, in config: BridgeConfig) -> Set<String> {
        var topics = Set<String>()
        for route in config.routes {
            if case .kafka(let source) = route.source, source.connection == connection {
                topics.formUnion(source.topics.filter { !$0.hasPrefix("^") })
            }
            for destination in route.destinations + (route.onError.deadLetter.map { [$0] } ?? []) where destination.connection == connection {
                if case .kafka(let topic, _) = destination.target, let name = topic.literalValue { topics.insert(name) }
            }
        }
        return topics
    }
}
