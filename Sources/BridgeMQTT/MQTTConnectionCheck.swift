import BridgeCore
import Logging
import MQTTProtocol
import NIOCore

/// `check --connect` for an MQTT connection: connect and authenticate once, then
/// disconnect. It uses its own client id (`<client_id>-<instance>-check`) and a clean
/// session, so it never takes over or disturbs a running bridge's sessions.
public enum MQTTConnectionCheck {
    /// The outcome of a check.
    public enum Outcome: Sendable, Equatable {
        /// CONNACK success.
        case connected(sessionPresent: Bool)
        /// The broker refused (the CONNACK reason), or the connection failed or timed out.
        case failed(String)
    }

    /// Connects to the first URL of `settings.urls` that answers, in turn.
    ///
    /// - Parameters:
    ///   - name: The connection name.
    ///   - settings: Its settings.
    ///   - instance: `bridge.instance`.
    ///   - eventLoop: Where to connect.
    ///   - timeout: The whole budget.
    ///   - logger: Where connection errors go.
    public static func run(
        name: String,
        settings: MQTTConnectionSettings,
        instance: String,
        eventLoop: any EventLoop,
        timeout: TimeAmount = .seconds(10),
        logger: Logger = Logger(label: "message-bridge.check")
    ) async -> Outcome {
        var options = MQTTClientOptions(
            name: name, settings: settings, clientID: "\(settings.clientID)-\(instance)-check", persistent: false,
            receiveMaximum: nil
        )
        options.connectTimeout = timeout
        let connection = MQTTClientConnection(eventLoop: eventLoop, options: options, logger: logger)
        let probe = Probe()
        connection.delegate = probe
        connection.start()
        let deadline = NIODeadline.now() + timeout
        var outcome = Outcome.failed("timed out after \(timeout)")
        // Polls the connection's loop: a CONNACK success, or a refusal (which closes the
        // connection and would otherwise be retried with backoff).
        while NIODeadline.now() < deadline {
            let (connected, error) = (try? await eventLoop.submit { (probe.outcome, connection.lastError) }.get()) ?? (nil, nil)
            if let connected {
                outcome = connected
                break
            }
            if let error, error.hasPrefix("CONNACK") {
                outcome = .failed(error)
                break
            }
            if let error { outcome = .failed(error) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? await connection.shutdown().get()
        return outcome
    }

    /// Loop-bound: records the first CONNACK success.
    private final class Probe: MQTTClientConnectionDelegate, @unchecked Sendable {
        var outcome: Outcome?
        func connected(_ connack: MQTTPacket.Connack) { outcome = .connected(sessionPresent: connack.sessionPresent) }
        func received(_ packet: MQTTPacket) {}
        func disconnected(reason: String) {}
    }
}
