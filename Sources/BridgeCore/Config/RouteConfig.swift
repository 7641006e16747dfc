import NIOCore

/// One entry of `routes:`.
public struct RouteConfig: Sendable {
    public var name: String
    public var source: SourceConfig
    /// One or more destinations (fan-out).
    public var destinations: [DestinationConfig]
    public var maxInFlight: Int
    public var maxMessageSize: Int
    public var onError: OnErrorConfig
    public var ordering: Ordering
    public var allowAll: Bool

    public enum Ordering: String, Sendable { case `default`, strict }
}

/// `from:` of a route.
public enum SourceConfig: Sendable {
    case mqtt(MQTTSource)
    case kafka(KafkaSource)
    case amqp(AMQPSource)
    case amqp10(AMQP10Source)

    public var connection: String {
        switch self {
        case .mqtt(let s): return s.connection
        case .kafka(let s): return s.connection
        case .amqp(let s): return s.connection
        case .amqp10(let s): return s.connection
        }
    }

    public struct MQTTSource: Sendable {
        public enum Retained: String, Sendable { case forward, skip }
        public var connection: String
        public var filter: TopicFilter
        public var qos: Int
        public var retained: Retained
        public var shareGroup: String?

        /// The filter as subscribed: `$share/<group>/<filter>` when a share group is set.
        public var subscription: String {
            shareGroup.map { "$share/\($0)/\(filter.text)" } ?? filter.text
        }
    }

    public struct KafkaSource: Sendable {
        public enum Start: String, Sendable { case earliest, latest }
        public var connection: String
        /// Topic names, or librdkafka regex subscriptions starting with `^`.
        public var topics: [String]
        public var start: Start
    }

    public struct AMQPSource: Sendable {
        public var connection: String
        public var queue: String
        public var declare: QueueDeclaration?
    }

    public struct AMQP10Source: Sendable {
        public var connection: String
        public var address: String
    }
}

/// `declare:` of an AMQP source queue.
public struct QueueDeclaration: Sendable {
    public var durable: Bool
    public var arguments: Headers
    public var bindings: [Binding]

    public struct Binding: Sendable {
        public var exchange: String
        public var routingKey: String
        public var arguments: Headers
    }
}

/// One entry of `to:` (or a dead letter).
public struct DestinationConfig: Sendable {
    public var connection: String
    public var target: Target
    /// Allowed computed destinations, required when a template uses message data.
    public var allow: AllowList?

    public enum Target: Sendable {
        case amqp(exchange: String, routingKey: Template)
        case kafka(topic: Template, key: Template?)
        case mqtt(topic: Template, qos: Int, retain: Bool, requireSubscribers: Bool)
        case amqp10(address: Template)
    }

    /// The `bridge-destination` text, with templates unexpanded:
    /// `<connection>/<exchange>/<routing key>`, `<connection>/<topic>` or `<connection>/<address>`.
    public var description: String {
        switch target {
        case .amqp(let exchange, let routingKey): return "\(connection)/\(exchange)/\(routingKey.source)"
        case .kafka(let topic, _): return "\(connection)/\(topic.source)"
        case .mqtt(let topic, _, _, _): return "\(connection)/\(topic.source)"
        case .amqp10(let address): return "\(connection)/\(address.source)"
        }
    }

    /// The MQTT QoS label for `bridge_messages_published_total` ("" for other protocols).
    public var qosLabel: String {
        if case .mqtt(_, let qos, _, _) = target { return String(qos) }
        return ""
    }
}

/// `on_error:` of a route.
public struct OnErrorConfig: Sendable {
    public enum Exhausted: String, Sendable, CaseIterable {
        case deadLetter = "dead_letter", block, reject, drop
    }
    public var attempts: Int
    public var backoff: TimeAmount
    public var maxBackoff: TimeAmount
    public var deadLetter: DestinationConfig?
    public var exhausted: Exhausted
}
