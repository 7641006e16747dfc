import DequeModule

/// Turns AMQP 0-9-1 delivery tags that are done (out of order) into the fewest acks:
/// `basic.ack(multiple=true)` for a run that starts at the oldest outstanding tag, single
/// acks for the rest.
///
/// An adapter keeps one per channel: ``delivered(_:)`` for every delivery, ``done(_:)``
/// for each ``DeliveryAction/acknowledge(_:partition:generation:)``, ``rejected(_:)`` after
/// it sent a `basic.reject`, then ``flush()`` when it writes to the socket.
public struct AMQPAckBatcher: Sendable {
    /// One `basic.ack`.
    public struct Ack: Sendable, Hashable {
        public var deliveryTag: UInt64
        public var multiple: Bool

        public init(deliveryTag: UInt64, multiple: Bool) {
            self.deliveryTag = deliveryTag
            self.multiple = multiple
        }
    }

    /// Delivered, not yet acked or rejected, ascending (the broker's tags increase).
    private var outstanding: Deque<UInt64> = []
    private var finished: Set<UInt64> = []

    public init() {}

    /// Outstanding deliveries.
    public var outstandingCount: Int { outstanding.count }

    /// The broker delivered `tag` (tags increase per channel).
    public mutating func delivered(_ tag: UInt64) {
        outstanding.append(tag)
    }

    /// `tag` may be acked.
    public mutating func done(_ tag: UInt64) {
        finished.insert(tag)
    }

    /// `tag` was rejected: it is no longer outstanding.
    public mutating func rejected(_ tag: UInt64) {
        if let index = outstanding.firstIndex(of: tag) { outstanding.remove(at: index) }
        finished.remove(tag)
    }

    /// The acks for everything done since the last flush: one `multiple=true` for the run
    /// of done tags at the front of the outstanding ones (a single ack when the run is one
    /// tag), then one single ack per other done tag.
    public mutating func flush() -> [Ack] {
        guard !finished.isEmpty else { return [] }
        var acks: [Ack] = []
        var run = 0
        var last: UInt64 = 0
        while let first = outstanding.first, finished.contains(first) {
            outstanding.removeFirst()
            finished.remove(first)
            last = first
            run += 1
        }
        if run > 0 { acks.append(Ack(deliveryTag: last, multiple: run > 1)) }
        if !finished.isEmpty {
            for tag in finished.sorted() {
                acks.append(Ack(deliveryTag: tag, multiple: false))
                if let index = outstanding.firstIndex(of: tag) { outstanding.remove(at: index) }
            }
            finished.removeAll(keepingCapacity: true)
        }
        return acks
    }
}
