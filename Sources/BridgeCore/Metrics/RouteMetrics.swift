public import CoreMetrics

/// The metrics of one route (CONTRACT section 7), created when the route starts so that
/// every route and destination series exists at 0; series with a `reason` label are
/// created when first used.
///
/// Owned by the route's ``DeliveryStateMachine`` and only used under its lock.
public struct RouteMetrics: Sendable {
    public let route: String
    let factory: any MetricsFactory

    let received: Counter
    let acked: Counter
    let abandoned: Counter
    let inFlight: Gauge
    let deliverySeconds: CoreMetrics.Timer
    let forwardSeconds: CoreMetrics.Timer
    /// Per destination index; the dead letter is the last entry when the route has one.
    let published: [Counter]
    let confirmed: [Counter]
    let retried: [Counter]
    let destinationNames: [String]

    private var failed: [FailedKey: Counter] = [:]
    private var deadLettered: [String: Counter] = [:]
    private var dropped: [String: Counter] = [:]

    private struct FailedKey: Hashable {
        var destination: String
        var reason: String
    }

    /// Creates every series of the route at 0.
    ///
    /// - Parameters:
    ///   - policy: The route's policy: its name, destinations and dead letter.
    ///   - factory: Where the series are registered; pass `MetricsSystem.factory` in production.
    public init(policy: DeliveryPolicy, factory: any MetricsFactory) {
        let route = policy.route
        self.route = route
        self.factory = factory
        let routeLabel = [(MetricNames.route, route)]
        self.received = Counter(label: MetricNames.messagesReceived, dimensions: routeLabel, factory: factory)
        self.acked = Counter(label: MetricNames.messagesAcked, dimensions: routeLabel, factory: factory)
        self.abandoned = Counter(label: MetricNames.messagesAbandoned, dimensions: routeLabel, factory: factory)
        self.inFlight = Gauge(label: MetricNames.inFlightMessages, dimensions: routeLabel, factory: factory)
        self.deliverySeconds = CoreMetrics.Timer(label: MetricNames.deliverySeconds, dimensions: routeLabel, factory: factory)
        self.forwardSeconds = CoreMetrics.Timer(label: MetricNames.forwardSeconds, dimensions: routeLabel, factory: factory)
        self.inFlight.record(0)

        let all = policy.destinations + (policy.deadLetter.map { [$0] } ?? [])
        // One series per (connection, qos): two destinations on one connection share it.
        var publishedByKey: [String: Counter] = [:]
        var confirmedByName: [String: Counter] = [:]
        var retriedByName: [String: Counter] = [:]
        var published: [Counter] = []
        var confirmed: [Counter] = []
        var retried: [Counter] = []
        for destination in all {
            let name = destination.connection
            let pubKey = name + "\u{0}" + destination.qos
            let p =
                publishedByKey[pubKey]
                ?? Counter(
                    label: MetricNames.messagesPublished,
                    dimensions: [(MetricNames.route, route), (MetricNames.destination, name), (MetricNames.qos, destination.qos)],
                    factory: factory
                )
            publishedByKey[pubKey] = p
            let c =
                confirmedByName[name]
                ?? Counter(
                    label: MetricNames.messagesConfirmed,
                    dimensions: [(MetricNames.route, route), (MetricNames.destination, name)],
                    factory: factory
                )
            confirmedByName[name] = c
            let r =
                retriedByName[name]
                ?? Counter(
                    label: MetricNames.messagesRetried,
                    dimensions: [(MetricNames.route, route), (MetricNames.destination, name)],
                    factory: factory
                )
            retriedByName[name] = r
            published.append(p)
            confirmed.append(c)
            retried.append(r)
        }
        self.published = published
        self.confirmed = confirmed
        self.retried = retried
        self.destinationNames = all.map(\.connection)
    }

    /// `bridge_messages_failed_total{route,destination,reason}` for a destination index.
    mutating func failed(destination index: Int, reason: String) -> Counter {
        let key = FailedKey(destination: destinationNames[index], reason: reason)
        if let counter = failed[key] { return counter }
        let counter = Counter(
            label: MetricNames.messagesFailed,
            dimensions: [(MetricNames.route, route), (MetricNames.destination, key.destination), (MetricNames.reason, reason)],
            factory: factory
        )
        failed[key] = counter
        return counter
    }

    /// `bridge_messages_dead_lettered_total{route,reason}`.
    mutating func deadLettered(reason: String) -> Counter {
        if let counter = deadLettered[reason] { return counter }
        let counter = Counter(
            label: MetricNames.messagesDeadLettered,
            dimensions: [(MetricNames.route, route), (MetricNames.reason, reason)],
            factory: factory
        )
        deadLettered[reason] = counter
        return counter
    }

    /// `bridge_messages_dropped_total{route,reason}`.
    mutating func dropped(reason: String) -> Counter {
        if let counter = dropped[reason] { return counter }
        let counter = Counter(
            label: MetricNames.messagesDropped,
            dimensions: [(MetricNames.route, route), (MetricNames.reason, reason)],
            factory: factory
        )
        dropped[reason] = counter
        return counter
    }
}
