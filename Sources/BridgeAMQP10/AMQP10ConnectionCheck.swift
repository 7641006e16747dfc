import AMQP10Protocol
import BridgeCore
import Logging
import NIOCore

/// `check --connect` for an AMQP 1.0 connection: connect, SASL, open and begin (the first
/// URL that answers, in turn), then attach a link to every address the routes name (a
/// receiving link without credit for a source, a sending link that sends nothing for a
/// destination) and detach it: a peer that refuses the attach (`amqp:not-found`, ...) is
/// reported. AMQP 1.0 has no passive declare: a peer that creates nodes on attach (RabbitMQ's
/// `/queue/NAME`) creates them here too.
public enum AMQP10ConnectionCheck {
    /// What the check found.
    public struct Report: Sendable, Hashable {
        /// True when the connection opened and every address could be attached.
        public var ok: Bool { connected && problems.isEmpty }
        /// The connection opened.
        public var connected: Bool
        /// The URL that answered, password redacted.
        public var url: String?
        /// One line per failure.
        public var problems: [String]
    }

    /// The addresses the routes of `config` name on connection `name`: source addresses and
    /// destination and dead-letter addresses without placeholders.
    public static func addresses(on name: String, in config: BridgeConfig) -> (sources: [String], targets: [String]) {
        var sources: [String] = []
        var targets: [String] = []
        for route in config.routes {
            if case .amqp10(let source) = route.source, source.connection == name, !sources.contains(source.address) {
                sources.append(source.address)
            }
            for destination in route.destinations + (route.onError.deadLetter.map { [$0] } ?? []) where destination.connection == name {
                if case .amqp10(let address) = destination.target, let literal = address.literalValue, !targets.contains(literal) {
                    targets.append(literal)
                }
            }
        }
        return (sources, targets)
    }

    /// Runs the check.
    public static func run(
        name: String,
        settings: AMQP10ConnectionSettings,
        sources: [String],
        targets: [String],
        eventLoop: any EventLoop,
        timeout: TimeAmount = .seconds(10),
        logger: Logger = Logger(label: "message-bridge.check")
    ) async -> Report {
        var problems: [String] = []
        for url in settings.urls {
            let attempt = AMQP10Connection.connect(
                to: url, idleTimeout: settings.idleTimeout, tls: settings.tls, containerID: "\(name)-check", on: eventLoop, logger: logger
            )
            let timer = eventLoop.scheduleTask(in: timeout) {
                attempt.whenSuccess { _ = $0.close() }
            }
            let connection: AMQP10Connection
            do {
                connection = try await attempt.get()
            } catch {
                problems.append("\(url): \(error)")
                continue
            }
            timer.cancel()
            var refused: [String] = []
            for (address, role) in sources.map({ ($0, AMQP10Role.receiver) }) + targets.map({ ($0, AMQP10Role.sender) }) {
                if let problem = await probe(address, role: role, on: connection, timeout: timeout) {
                    refused.append("\(role == .receiver ? "source" : "destination") address '\(address)': \(problem)")
                }
            }
            _ = try? await connection.close().get()
            return Report(connected: true, url: url.description, problems: refused)
        }
        return Report(connected: false, url: nil, problems: problems.isEmpty ? ["no URL configured"] : problems)
    }

    /// Attaches and detaches one link; nil when the peer accepted it.
    private static func probe(_ address: String, role: AMQP10Role, on connection: AMQP10Connection, timeout: TimeAmount) async -> String? {
        let eventLoop = connection.eventLoop
        let result: EventLoopFuture<String?> = eventLoop.flatSubmit {
            let probe = Probe(promise: eventLoop.makePromise())
            let name = "check-\(UInt32.random(in: 0...UInt32.max))"
            let handle = connection.attach(probe) { handle in
                AMQP10Attach(
                    name: name, handle: handle, role: role, sndSettleMode: .unsettled, rcvSettleMode: .first,
                    source: role == .receiver ? AMQP10SourceTerminus(address: address) : AMQP10SourceTerminus(address: name),
                    target: role == .receiver ? AMQP10Target(address: name) : AMQP10Target(address: address),
                    initialDeliveryCount: role == .sender ? 0 : nil
                )
            }
            eventLoop.scheduleTask(in: timeout) { probe.finish("no answer to attach within \(timeout.nanoseconds / 1_000_000_000) s") }
            return probe.promise.futureResult.map { problem in
                // A refused attach is answered by a detach; an accepted one we detach ourselves.
                connection.detach(handle: handle)
                return problem
            }
        }
        do {
            return try await result.get()
        } catch {
            return "\(error)"
        }
    }

    /// Waits for the peer's attach (or its detach). On the connection's loop.
    private final class Probe: AMQP10LinkEndpoint {
        let promise: EventLoopPromise<String?>
        private var done = false

        init(promise: EventLoopPromise<String?>) {
            self.promise = promise
        }

        func attached(_ attach: AMQP10Attach) {
            // A refusing peer answers with a null terminus, then detaches with the reason.
            if attach.source != nil && attach.target != nil { finish(nil) }
        }

        func detached(_ error: AMQP10ConnectionError) {
            finish("\(error)")
        }

        func finish(_ problem: String?) {
            guard !done else { return }
            done = true
            promise.succeed(problem)
        }

        func flow(_ flow: AMQP10Flow) {}
        func transfer(_ transfer: AMQP10Transfer) {}
        func disposition(deliveryID: UInt32, state: AMQP10DeliveryState?, settled: Bool) {}
    }
}
