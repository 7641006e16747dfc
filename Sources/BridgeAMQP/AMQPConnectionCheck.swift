import AMQPProtocol
import BridgeCore
import Logging
import NIOCore

/// `check --connect` for an AMQP 0-9-1 connection: connect, authenticate and open the vhost
/// (the first URL that answers, in turn), then check passively that every queue and exchange
/// the routes name exists (`queue.declare` / `exchange.declare` with `passive`, each on a
/// channel of its own, since a missing one closes the channel). Declares nothing.
public enum AMQPConnectionCheck {
    /// What the check found.
    public struct Report: Sendable, Hashable {
        /// True when the connection opened and every name exists.
        public var ok: Bool { connected && problems.isEmpty }
        /// The connection opened (credentials and vhost accepted).
        public var connected: Bool
        /// The URL that answered, password redacted.
        public var url: String?
        /// One line per failure: an unreachable URL, a refusal, a missing queue or exchange.
        public var problems: [String]
    }

    /// The queues and exchanges that the routes of `config` name on connection `name`:
    /// source queues (those without `declare:`, which the bridge would create), destination
    /// and dead-letter exchanges (not the default exchange "").
    public static func names(on name: String, in config: BridgeConfig) -> (queues: [String], exchanges: [String]) {
        var queues: [String] = []
        var exchanges: [String] = []
        for route in config.routes {
            if case .amqp(let source) = route.source, source.connection == name, source.declare == nil, !queues.contains(source.queue) {
                queues.append(source.queue)
            }
            for destination in route.destinations + (route.onError.deadLetter.map { [$0] } ?? []) where destination.connection == name {
                if case .amqp(let exchange, _) = destination.target, !exchange.isEmpty, !exchanges.contains(exchange) {
                    exchanges.append(exchange)
                }
            }
        }
        return (queues, exchanges)
    }

    /// Runs the check.
    ///
    /// - Parameters:
    ///   - name: The connection name (for the connection name RabbitMQ shows).
    ///   - settings: Its settings.
    ///   - queues: Queues that must exist.
    ///   - exchanges: Exchanges that must exist.
    ///   - eventLoop: Where to connect.
    ///   - timeout: Budget per URL.
    ///   - logger: Connection events.
    public static func run(
        name: String,
        settings: AMQPConnectionSettings,
        queues: [String],
        exchanges: [String],
        eventLoop: any EventLoop,
        timeout: TimeAmount = .seconds(10),
        logger: Logger = Logger(label: "message-bridge.check")
    ) async -> Report {
        var problems: [String] = []
        for url in settings.urls {
            let attempt = AMQPConnection.connect(
                to: url, heartbeat: settings.heartbeat, tls: settings.tls, connectionName: "\(name)-check", on: eventLoop, logger: logger
            )
            let timer = eventLoop.scheduleTask(in: timeout) {
                attempt.whenSuccess { _ = $0.close() }
            }
            let connection: AMQPConnection
            do {
                connection = try await attempt.get()
            } catch {
                problems.append("\(url): \(error)")
                continue
            }
            timer.cancel()
            var missing: [String] = []
            for queue in queues {
                if let problem = await passive(.queueDeclare(QueueDeclare(queue: queue, passive: true)), on: connection) {
                    missing.append("queue '\(queue)': \(problem)")
                }
            }
            for exchange in exchanges {
                if let problem = await passive(.exchangeDeclare(ExchangeDeclare(exchange: exchange, type: "direct", passive: true)), on: connection) {
                    missing.append("exchange '\(exchange)': \(problem)")
                }
            }
            _ = try? await connection.close().get()
            return Report(connected: true, url: url.description, problems: missing)
        }
        return Report(connected: false, url: nil, problems: problems.isEmpty ? ["no URL configured"] : problems)
    }

    /// Sends a passive declare on a new channel; nil when it exists, else the broker's answer.
    private static func passive(_ method: Method, on connection: AMQPConnection) async -> String? {
        let result: EventLoopFuture<String?> = connection.openChannel().flatMap { channel in
            channel.call(method)
                .flatMap { _ in channel.close().map { nil } }
                .flatMapErrorThrowing { error in "\(error)" }
        }
        do {
            return try await result.get()
        } catch {
            return "\(error)"
        }
    }
}
