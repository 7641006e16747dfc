/// The routes of a configuration, indexed by source: which route a received message belongs to.
///
/// Every MQTT source route has its own client connection, Kafka and AMQP routes their own
/// consumers, so an adapter usually knows its route; the table answers the other direction
/// (which routes read from a connection) and matches topics for shared connections and tests.
public struct RouteTable: Sendable {
    public let routes: [RouteConfig]
    private let byName: [String: Int]

    public init(_ routes: [RouteConfig]) {
        self.routes = routes
        var byName: [String: Int] = [:]
        for (i, route) in routes.enumerated() { byName[route.name] = i }
        self.byName = byName
    }

    /// The route named `name`.
    public subscript(name: String) -> RouteConfig? {
        byName[name].map { routes[$0] }
    }

    /// The routes that read from connection `connection`.
    public func routes(readingFrom connection: String) -> [RouteConfig] {
        routes.filter { $0.source.connection == connection }
    }

    /// The routes whose MQTT filter matches `topic` on `connection`.
    public func routes(mqttConnection connection: String, topic: String) -> [RouteConfig] {
        routes.filter {
            if case .mqtt(let s) = $0.source { return s.connection == connection && s.filter.matches(topic) }
            return false
        }
    }

    /// The routes that consume Kafka `topic` on `connection` (exact names; `^` patterns match as regexes in librdkafka).
    public func routes(kafkaConnection connection: String, topic: String) -> [RouteConfig] {
        routes.filter {
            if case .kafka(let s) = $0.source { return s.connection == connection && s.topics.contains(topic) }
            return false
        }
    }

    /// The routes that consume AMQP `queue` on `connection`.
    public func routes(amqpConnection connection: String, queue: String) -> [RouteConfig] {
        routes.filter {
            if case .amqp(let s) = $0.source { return s.connection == connection && s.queue == queue }
            return false
        }
    }
}

/// A `$share/<group>/<filter>` subscription split into its parts.
public struct SharedSubscription: Sendable, Hashable {
    public var group: String
    public var filter: TopicFilter

    /// Parses `$share/<group>/<filter>`; nil when `text` is not a shared subscription or is malformed.
    public init?(_ text: String) {
        guard text.hasPrefix("$share/") else { return nil }
        let rest = text.dropFirst("$share/".count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let group = String(rest[..<slash])
        guard SharedSubscription.isValidGroup(group), let filter = try? TopicFilter(String(rest[rest.index(after: slash)...])) else { return nil }
        self.group = group
        self.filter = filter
    }

    /// A share name must be non-empty and contain no `/`, `+` or `#`.
    public static func isValidGroup(_ group: String) -> Bool {
        !group.isEmpty && !group.contains { $0 == "/" || $0 == "+" || $0 == "#" }
    }
}
