public import DequeModule
public import NIOCore

/// The buffer events append their actions to: a `Deque`, so a driver can move each action
/// out with `popFirst()` instead of copying it, and reuse the buffer.
public typealias DeliveryActions = Deque<DeliveryAction>

/// A side effect the delivery core asks for. The driver runs these outside the lock.
public enum DeliveryAction: Sendable {
    /// Hand a message to the sink of `request.destination` (or the dead letter).
    case publish(PublishRequest)
    /// Acknowledge a source message. `generation` is the partition's assignment: a source
    /// drops an ack whose generation is not the one it currently owns.
    case acknowledge(SourceToken, partition: Int, generation: UInt32)
    /// Reject a source message without requeue (`exhausted: reject`, AMQP only).
    case reject(SourceToken, partition: Int, generation: UInt32)
    /// Stop taking messages: the window is full, or the route drains.
    case pause
    /// Take messages again: the window freed.
    case resume
    /// Call ``DeliveryStateMachine/retryDue(_:now:into:)`` with `tag` after `delay`.
    case scheduleRetry(DeliveryTag, after: TimeAmount)
    /// A revoked partition has nothing in flight any more (or was abandoned): commit and let go.
    case partitionReleased(partition: Int, generation: UInt32)
    /// The message failed transiently for the first time (``DeliverySource/attemptFailed(_:partition:generation:)``).
    case attemptFailed(SourceToken, partition: Int, generation: UInt32)
    /// The drain finished: nothing is in flight any more (what was abandoned stays unacked).
    case drained
}
