extension RouteConfig {
    /// The delivery core's policy for this route.
    /// - Parameters:
    ///   - bridge: the `bridge:` settings (for `max_hops`).
    ///   - sourceProtocol: the protocol of the route's source connection.
    public func deliveryPolicy(bridge: BridgeSettings, sourceProtocol: BridgeProtocol) throws(DeliveryPolicyError) -> DeliveryPolicy {
        let exhausted: DeliveryPolicy.Exhausted
        switch onError.exhausted {
        case .deadLetter: exhausted = .deadLetter
        case .block: exhausted = .block
        case .reject: exhausted = .reject
        case .drop: exhausted = .drop
        }
        return try DeliveryPolicy(
            route: name,
            sourceProtocol: sourceProtocol,
            destinations: destinations.map { DeliveryPolicy.Destination(connection: $0.connection, qos: $0.qosLabel, description: $0.description) },
            deadLetter: onError.deadLetter.map { DeliveryPolicy.Destination(connection: $0.connection, qos: $0.qosLabel, description: $0.description) },
            maxInFlight: maxInFlight,
            ordering: ordering == .strict ? .strict : .default,
            retry: .init(attempts: onError.attempts, backoff: onError.backoff, maxBackoff: onError.maxBackoff),
            exhausted: exhausted,
            maxHops: bridge.maxHops
        )
    }
}
