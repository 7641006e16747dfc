import AMQPProtocol
@testable import BridgeAMQP
@testable import BridgeCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain AMQP client for tests, on the bridge's own connection layer: declares, publishes
/// with confirms, and collects what a queue holds.
final class AMQPTestClient: Sendable {
    let connection: AMQPConnection
    let channel: AMQPChannel
    private let confirms = NIOLockedValueBox((multipleUpTo: UInt64(0), singles: Set<UInt64>(), published: UInt64(0), nacked: 0))
    private let received = NIOLockedValueBox<[Content]>([])

    private init(connection: AMQPConnection, channel: AMQPChannel) {
        self.connection = connection
        self.channel = channel
    }

    static func connect(_ url: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> AMQPTestClient {
        let parsed = try BrokerURL.parse(url, defaultPorts: ["amqp": 5672]).get()
        let loop = group.next()
        let connection = try await AMQPConnection.connect(
            to: parsed, heartbeat: .seconds(30), connectionName: "bridge-amqp-tests", on: loop, logger: Logger(label: "amqp-test-client")
        ).get()
        let channel = try await connection.openChannel().get()
        let client = AMQPTestClient(connection: connection, channel: channel)
        try await loop.flatSubmit {
            channel.onAck = { tag, multiple in
                client.confirms.withLockedValue {
                    if multiple { $0.multipleUpTo = max($0.multipleUpTo, tag) } else { $0.singles.insert(tag) }
                }
            }
            channel.onNack = { _, _ in client.confirms.withLockedValue { $0.nacked += 1 } }
            channel.onDelivery = { _, content in client.received.withLockedValue { $0.append(content) } }
            return channel.call(.confirmSelect(ConfirmSelect())).map { _ in }
        }.get()
        return client
    }

    @discardableResult
    func call(_ method: Method) async throws -> Method {
        try await channel.eventLoop.flatSubmit { self.channel.call(method) }.get()
    }

    /// Publishes with confirms and waits until the broker confirmed all.
    func publish(_ contents: [Content], timeout: Duration = .seconds(60)) async throws {
        let target: UInt64 = try await channel.eventLoop.submit {
            for content in contents { try self.channel.publish(content) }
            return self.confirms.withLockedValue {
                $0.published += UInt64(contents.count)
                return $0.published
            }
        }.get()
        try await waitUntil("publish confirms", timeout: timeout) {
            self.confirms.withLockedValue { state in
                let above = state.singles.filter { $0 > state.multipleUpTo }.count
                return UInt64(above) + state.multipleUpTo >= target
            }
        }
    }

    /// Consumes `queue` (auto-ack) into ``messages``.
    func consume(_ queue: String) async throws {
        try await call(.basicConsume(BasicConsume(queue: queue, consumerTag: "test-\(queue)", noAck: true)))
    }

    var messages: [Content] { received.withLockedValue { $0 } }

    /// Messages ready in `queue` (passive declare; unacked ones not counted).
    func messageCount(_ queue: String) async throws -> UInt32 {
        guard case .queueDeclareOk(let ok) = try await call(.queueDeclare(QueueDeclare(queue: queue, passive: true))) else { return 0 }
        return ok.messageCount
    }

    func close() async {
        _ = try? await connection.close().get()
    }
}

struct Timeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 50 ms until it holds.
func waitUntil(_ what: String, timeout: Duration, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw Timeout(description: "timed out after \(timeout) waiting for \(what)")
}
