/// What the delivery core asks of a sink adapter (one per destination, and one for the
/// dead letter). The sink reports the outcome with ``RouteDelivery/confirmed(_:)`` or
/// ``RouteDelivery/failed(_:_:)``, passing `request.tag` back.
public protocol DeliverySink: AnyObject, Sendable {
    /// Publish `request.envelope` (with `request.deadLetter`'s headers when set, and
    /// `bridge-hops` = `request.hopsToWrite`).
    func publish(_ request: PublishRequest, for route: RouteDelivery)
}
