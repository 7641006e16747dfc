import AMQPProtocol
@testable import BridgeAMQP
@testable import BridgeCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A blocking AMQP 0-9-1 client for integration tests, on the bridge's own connection layer
/// (amqp-tools print message bodies only): declares, publishes with confirms, and collects
/// whole messages (properties and headers included) from queues it consumes.
///
/// Every call blocks the calling thread (never an event loop) until the broker answered.
final class AMQPTestClient: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One message a consumer received.
    struct Message: @unchecked Sendable {
        var queue: String
        var routingKey: String
        var exchange: String
        var redelivered: Bool
        var properties: BasicProperties
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// A header as text: long strings as they are, other values as their description.
        func header(_ name: String) -> String? {
            guard let value = properties.headers?[name] else { return nil }
            return value.stringValue ?? "\(value)"
        }

        /// A header's raw value.
        func headerValue(_ name: String) -> AMQPValue? { properties.headers?[name] }
    }

    let connection: AMQPConnection
    let channel: AMQPChannel
    private let state = NIOLockedValueBox((published: UInt64(0), acked: Set<UInt64>(), ackedUpTo: UInt64(0), nacked: Set<UInt64>(), returned: 0, messages: [Message]()))
    private var loop: any EventLoop { channel.eventLoop }

    /// Connects to `url` (`amqp://user:pass@host:port/vhost`) and opens a channel in confirm mode.
    init(_ url: String) throws {
        let parsed = try BrokerURL.parse(url, defaultPorts: ["amqp": 5672]).get()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        connection = try AMQPConnection.connect(
            to: parsed, heartbeat: .seconds(30), connectionName: "integration-tests", on: loop, logger: Logger(label: "amqp-test-client")
        ).wait()
        channel = try loop.flatSubmit { [connection] in connection.openChannel() }.wait()
        let state = self.state
        try loop.flatSubmit { [channel] in
            channel.onAck = { tag, multiple in
                state.withLockedValue {
                    if multiple { $0.ackedUpTo = max($0.ackedUpTo, tag) } else { $0.acked.insert(tag) }
                }
            }
            channel.onNack = { tag, _ in state.withLockedValue { _ = $0.nacked.insert(tag) } }
            channel.onReturn = { _, _ in state.withLockedValue { $0.returned += 1 } }
            channel.onDelivery = { deliver, content in
                let message = Message(
                    queue: deliver.consumerTag, routingKey: deliver.routingKey, exchange: deliver.exchange, redelivered: deliver.redelivered,
                    properties: content.properties, body: Array(content.body.readableBytesView)
                )
                state.withLockedValue { $0.messages.append(message) }
            }
            return channel.call(.confirmSelect(ConfirmSelect())).map { _ in }
        }.wait()
    }

    /// Sends a synchronous method and waits for the answer; throws when the broker closes the channel.
    @discardableResult
    func call(_ method: Method) throws -> Method {
        try loop.flatSubmit { [channel] in channel.call(method) }.wait()
    }

    /// `queue.declare` (durable unless told otherwise) with `arguments`, and its bindings.
    func declareQueue(_ name: String, durable: Bool = true, arguments: FieldTable = [:], bindings: [(exchange: String, key: String)] = []) throws {
        try call(.queueDeclare(QueueDeclare(queue: name, durable: durable, arguments: arguments)))
        for binding in bindings {
            try call(.queueBind(QueueBind(queue: name, exchange: binding.exchange, routingKey: binding.key)))
        }
    }

    func declareExchange(_ name: String, type: String = "topic", durable: Bool = false) throws {
        try call(.exchangeDeclare(ExchangeDeclare(exchange: name, type: type, durable: durable)))
    }

    func deleteQueue(_ name: String) {
        _ = try? call(.queueDelete(QueueDelete(queue: name)))
    }

    func deleteExchange(_ name: String) {
        _ = try? call(.exchangeDelete(ExchangeDelete(exchange: name)))
    }

    /// Publishes one message (persistent) and waits for the broker's confirm.
    /// - Returns: False when the broker nacked it.
    @discardableResult
    func publish(
        exchange: String = "", routingKey: String, body: String, headers: FieldTable? = nil, properties: BasicProperties = BasicProperties(),
        timeout: TimeInterval = 10
    ) throws -> Bool {
        try publish(exchange: exchange, routingKey: routingKey, bytes: Array(body.utf8), headers: headers, properties: properties, timeout: timeout)
    }

    @discardableResult
    func publish(
        exchange: String = "", routingKey: String, bytes: [UInt8], headers: FieldTable? = nil, properties: BasicProperties = BasicProperties(),
        timeout: TimeInterval = 10
    ) throws -> Bool {
        var properties = properties
        if let headers { properties.headers = headers }
        if properties.deliveryMode == nil { properties.deliveryMode = 2 }
        let content = Content(
            method: .basicPublish(BasicPublish(exchange: exchange, routingKey: routingKey)), properties: properties,
            body: ByteBuffer(bytes: bytes)
        )
        let state = self.state
        let tag: UInt64 = try loop.submit { [channel] in
            try channel.publish(content)
            return state.withLockedValue {
                $0.published += 1
                return $0.published
            }
        }.wait()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let outcome: Bool? = state.withLockedValue {
                if $0.nacked.contains(tag) { return false }
                if $0.ackedUpTo >= tag || $0.acked.contains(tag) { return true }
                return nil
            }
            if let outcome { return outcome }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw Failure(description: "no publisher confirm within \(timeout) s for a publish to '\(exchange)' '\(routingKey)'")
    }

    /// Consumes `queue` without acks (each delivery is removed from the queue) into ``messages``.
    func consume(_ queue: String) throws {
        try call(.basicConsume(BasicConsume(queue: queue, consumerTag: queue, noAck: true)))
    }

    /// Everything consumed so far, from every queue.
    var messages: [Message] { state.withLockedValue { $0.messages } }

    /// What was consumed from `queue`.
    func messages(from queue: String) -> [Message] { messages.filter { $0.queue == queue } }

    /// Waits until `queue`'s consumer collected at least `count` messages; returns them.
    func waitForMessages(from queue: String, count: Int, timeout: TimeInterval) -> [Message] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, messages(from: queue).count < count { Thread.sleep(forTimeInterval: 0.05) }
        return messages(from: queue)
    }

    /// Ready messages of `queue` (a passive declare: unacked ones are not counted).
    func readyCount(_ queue: String) throws -> Int {
        guard case .queueDeclareOk(let ok) = try call(.queueDeclare(QueueDeclare(queue: queue, passive: true))) else { return -1 }
        return Int(ok.messageCount)
    }

    func close() {
        _ = try? loop.flatSubmit { [connection] in connection.close() }.wait()
    }

    deinit {
        close()
    }
}
