import BridgeCore
import BridgeKafka
import NIOCore
import NIOPosix

/// `check --connect`: reaches every broker of the configuration.
///
/// This build checks that each broker accepts a TCP connection. Authentication and the
/// passive checks of queues, exchanges and topics come with each protocol's adapter, and
/// the report says so for every connection instead of claiming them.
public enum ConnectCheck {
    public struct Report: Sendable {
        public var ok: Bool
        public var report: [String]
    }

    public static func run(_ config: BridgeConfig, timeout: TimeAmount = .seconds(5)) async -> Report {
        var ok = true
        var lines: [String] = []
        for connection in config.connections {
            let endpoints: [(String, Int)]
            switch connection.settings {
            case .mqtt(let m): endpoints = m.urls.map { ($0.host, $0.port) }
            case .amqp(let a): endpoints = a.urls.map { ($0.host, $0.port) }
            case .amqp10(let a): endpoints = a.urls.map { ($0.host, $0.port) }
            case .kafka(let k):
                endpoints = k.bootstrapServers.compactMap { server in
                    let hp = server.firstRange(of: "://").map { String(server[$0.upperBound...]) } ?? server
                    return HostPort(parsing: hp).map { ($0.host, $0.port) }
                }
            }
            var reached = false
            var problems: [String] = []
            for (host, port) in endpoints {
                do {
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connectTimeout(timeout)
                        .connect(host: host, port: port).get()
                    try? await channel.close()
                    reached = true
                    break
                } catch {
                    problems.append("\(host):\(port): \(error)")
                }
            }
            if reached, case .kafka(let settings) = connection.settings {
                // Kafka: fetch the metadata and check every topic the routes name exists.
                let topics = kafkaTopics(of: connection.name, in: config)
                let problems = KafkaTopicCheck.run(settings: settings, topics: topics)
                if problems.isEmpty {
                    lines.append("connection \(connection.name) (kafka): metadata fetched; topics exist: \(topics.sorted().joined(separator: ", "))")
                } else {
                    ok = false
                    for problem in problems { lines.append("connection \(connection.name) (kafka): \(problem)") }
                }
            } else if reached {
                lines.append("connection \(connection.name) (\(connection.protocol)): reachable (TCP); authentication and queue/exchange/topic checks are not in this build yet")
            } else {
                ok = false
                lines.append("connection \(connection.name) (\(connection.protocol)): UNREACHABLE: \(problems.joined(separator: "; "))")
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
