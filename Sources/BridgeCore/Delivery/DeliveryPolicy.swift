public import NIOCore

/// How one route delivers its messages (CONTRACT section 5): the window, the order in which
/// the source is acknowledged, retries and what happens when they are exhausted.
///
/// The config layer builds one per route from the parsed route file; the delivery core is
/// the only place that interprets it.
public struct DeliveryPolicy: Sendable, Hashable {
    /// How source acknowledgements are released.
    public enum AckOrder: Sendable, Hashable {
        /// Strictly in arrival order per partition, never past an unconfirmed message
        /// (MQTT PUBACK order, Kafka offset watermark).
        case ordered
        /// As soon as each message is done (AMQP 0-9-1, AMQP 1.0).
        case unordered
    }

    /// Publishing order per source partition.
    public enum Ordering: Sendable, Hashable {
        /// Published in arrival order; a retried message may arrive after later ones.
        case `default`
        /// One message at a time per partition, so order holds through retries.
        case strict
    }

    /// Retry settings (`on_error.retry`).
    public struct Retry: Sendable, Hashable {
        /// Total publish attempts per destination, the first included (as `bridge-attempts`).
        public var attempts: Int
        /// Delay before the first retry; doubled on each further retry.
        public var backoff: TimeAmount
        /// Upper bound of any delay; also the delay used by `block` and a failing dead letter.
        public var maxBackoff: TimeAmount

        public init(attempts: Int = 5, backoff: TimeAmount = .milliseconds(100), maxBackoff: TimeAmount = .seconds(10)) {
            self.attempts = attempts
            self.backoff = backoff
            self.maxBackoff = maxBackoff
        }
    }

    /// What happens when retries are exhausted or a failure is permanent (`on_error.exhausted`).
    public enum Exhausted: String, Sendable, Hashable {
        /// Publish to the dead letter; ack the source when the dead letter confirmed.
        case deadLetter = "dead_letter"
        /// Keep retrying at `maxBackoff`; the route reports `blocked`.
        case block
        /// `basic.reject(requeue=false)` of the source message (AMQP sources only).
        case reject
        /// Ack the source and forget the message (counted).
        case drop
    }

    /// A place the route publishes to.
    public struct Destination: Sendable, Hashable {
        /// The connection name: the `destination` label of the metrics.
        public var connection: String
        /// The `qos` label: "0", "1" or "2" for MQTT destinations, "" otherwise.
        public var qos: String
        /// `bridge-destination` of a dead letter: `<connection>/<exchange>/<routing key>`,
        /// `<connection>/<topic>` or `<connection>/<address>`.
        public var description: String

        public init(connection: String, qos: String = "", description: String) {
            self.connection = connection
            self.qos = qos
            self.description = description
        }
    }

    /// The route name (`route` label, `bridge-route`).
    public var route: String
    /// The protocol of the route's source; decides which `exhausted` values are allowed.
    public var sourceProtocol: BridgeProtocol
    /// Received but not yet acknowledged at the source, 1...65535.
    public var maxInFlight: Int
    public var ackOrder: AckOrder
    public var ordering: Ordering
    public var retry: Retry
    public var exhausted: Exhausted
    /// The route's destinations; a publish names one by its index here.
    public var destinations: [Destination]
    /// The dead letter, when the route has one.
    public var deadLetter: Destination?
    /// `bridge-hops` limit: a message arriving with `hops >= maxHops` is not forwarded (`loop`).
    public var maxHops: Int

    /// True when the route has a dead letter.
    public var hasDeadLetter: Bool { deadLetter != nil }

    /// Creates and validates a policy.
    ///
    /// - Parameters:
    ///   - route: The route name.
    ///   - sourceProtocol: The protocol of the source connection.
    ///   - destinations: The destinations, at least one.
    ///   - deadLetter: The dead letter destination, if any.
    ///   - maxInFlight: The window, 1...65535.
    ///   - ackOrder: Defaults to `.ordered` for MQTT and Kafka sources, `.unordered` for AMQP.
    ///   - ordering: `.default` or `.strict`.
    ///   - retry: Retry attempts and backoff.
    ///   - exhausted: Defaults to `.deadLetter` with a dead letter, `.block` without.
    ///   - maxHops: Loop guard, default 8.
    /// - Throws: ``DeliveryPolicyError`` naming what is wrong.
    public init(
        route: String,
        sourceProtocol: BridgeProtocol,
        destinations: [Destination],
        deadLetter: Destination? = nil,
        maxInFlight: Int = 1024,
        ackOrder: AckOrder? = nil,
        ordering: Ordering = .default,
        retry: Retry = Retry(),
        exhausted: Exhausted? = nil,
        maxHops: Int = 8
    ) throws(DeliveryPolicyError) {
        self.route = route
        self.sourceProtocol = sourceProtocol
        self.destinations = destinations
        self.deadLetter = deadLetter
        self.maxInFlight = maxInFlight
        self.ackOrder = ackOrder ?? Self.defaultAckOrder(for: sourceProtocol)
        self.ordering = ordering
        self.retry = retry
        self.exhausted = exhausted ?? (deadLetter == nil ? .block : .deadLetter)
        self.maxHops = maxHops
        try self.validate()
    }

    /// The ack order a source protocol requires.
    public static func defaultAckOrder(for sourceProtocol: BridgeProtocol) -> AckOrder {
        switch sourceProtocol {
        case .mqtt, .kafka: return .ordered
        case .amqp, .amqp10: return .unordered
        }
    }

    private func validate() throws(DeliveryPolicyError) {
        guard (1...65535).contains(maxInFlight) else {
            throw .init(field: "max_in_flight", message: "must be in 1...65535, got \(maxInFlight)")
        }
        guard !destinations.isEmpty else { throw .init(field: "to", message: "needs at least one destination") }
        guard destinations.count < Int(UInt16.max) else { throw .init(field: "to", message: "too many destinations") }
        guard retry.attempts >= 1 else {
            throw .init(field: "on_error.retry.attempts", message: "must be at least 1, got \(retry.attempts)")
        }
        guard retry.backoff.nanoseconds > 0, retry.maxBackoff >= retry.backoff else {
            throw .init(field: "on_error.retry", message: "needs 0 < backoff <= max_backoff")
        }
        guard maxHops >= 1 else { throw .init(field: "bridge.max_hops", message: "must be at least 1") }
        if exhausted == .deadLetter && deadLetter == nil {
            throw .init(field: "on_error.exhausted", message: "dead_letter needs on_error.dead_letter")
        }
        if exhausted == .reject && !(sourceProtocol == .amqp || sourceProtocol == .amqp10) {
            throw .init(field: "on_error.exhausted", message: "reject is only possible with an AMQP source, not \(sourceProtocol)")
        }
        if ackOrder == .unordered && !(sourceProtocol == .amqp || sourceProtocol == .amqp10) {
            throw .init(field: "ack_order", message: "\(sourceProtocol) sources need ordered acknowledgements")
        }
    }
}
