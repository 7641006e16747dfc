/// What the delivery core asks of a source adapter. Calls come from whichever thread
/// reported the event that caused them, never under the core's lock.
public protocol DeliverySource: AnyObject, Sendable {
    /// Acknowledge the message (MQTT PUBACK/PUBREC, Kafka store offset + 1, AMQP basic.ack).
    /// Ignore it when `generation` is not the partition's current assignment.
    func acknowledge(_ token: SourceToken, partition: Int, generation: UInt32)
    /// `basic.reject(requeue=false)` (AMQP only).
    func reject(_ token: SourceToken, partition: Int, generation: UInt32)
    /// The window is full or the route drains: stop taking messages.
    func pause()
    /// The window freed: take messages again.
    func resume()
    /// A revoked partition has nothing in flight any more (or was abandoned): commit it.
    func partitionReleased(_ partition: Int, generation: UInt32)
    /// The message failed transiently for the first time and is being retried. A source
    /// that gives unsettled messages back to its peer can say so then (AMQP 1.0 settles
    /// them `modified` with `delivery-failed` instead of `released`). At most once per message.
    func attemptFailed(_ token: SourceToken, partition: Int, generation: UInt32)
}

extension DeliverySource {
    public func reject(_ token: SourceToken, partition: Int, generation: UInt32) {}
    public func partitionReleased(_ partition: Int, generation: UInt32) {}
    public func attemptFailed(_ token: SourceToken, partition: Int, generation: UInt32) {}
}
