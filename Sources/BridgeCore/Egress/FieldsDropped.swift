public import CoreMetrics
public import Logging
import NIOConcurrencyHelpers

/// `bridge_fields_dropped_total{route,field}` of one route, with one log line per field
/// the first time it is dropped (CONTRACT section 4: nothing is lost silently).
///
/// Field names are the envelope's (`key`, `content_type`, `correlation_id`, `message_id`,
/// `reply_to`, `timestamp`, `expiry`) or `header:<name>`.
public final class FieldsDropped: Sendable {
    public let route: String
    private let logger: Logger
    private let factory: any MetricsFactory
    private let counters = NIOLockedValueBox<[String: Counter]>([:])

    /// - Parameters:
    ///   - route: The `route` label.
    ///   - logger: Where the once-per-field line goes.
    ///   - factory: The metrics factory.
    public init(route: String, logger: Logger, factory: any MetricsFactory = MetricsSystem.factory) {
        self.route = route
        self.logger = logger
        self.factory = factory
    }

    /// Counts one dropped field; logs the first drop of each field.
    public func record(_ field: String, why: String = "the destination cannot carry it") {
        let (counter, first) = counters.withLockedValue { counters -> (Counter, Bool) in
            if let counter = counters[field] { return (counter, false) }
            let counter = Counter(
                label: MetricNames.fieldsDropped,
                dimensions: [(MetricNames.route, route), (MetricNames.field, field)],
                factory: factory
            )
            counters[field] = counter
            return (counter, true)
        }
        counter.increment()
        if first {
            logger.warning(
                "field dropped: \(why) (counted in \(MetricNames.fieldsDropped); logged once per route and field)",
                metadata: ["route": "\(route)", "field": "\(field)"]
            )
        }
    }
}
