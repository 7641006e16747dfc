import BridgeCore
import Logging

/// Wraps a route's dead-letter sink to log each message sent there, once (its first attempt
/// at the dead letter), with the fields an operator searches by: `route`, `bridge_id` (the
/// id consumers see in the `bridge-id` header), the failed destination, the reason and the
/// source. A message's payload and headers are never logged.
final class DeadLetterLog: DeliverySink {
    let sink: any DeliverySink
    let logger: Logger

    init(_ sink: any DeliverySink, route: String, logger: Logger) {
        self.sink = sink
        var logger = logger
        logger[metadataKey: "route"] = "\(route)"
        self.logger = logger
    }

    func publish(_ request: PublishRequest, for route: RouteDelivery) {
        if let info = request.deadLetter, request.attempt == 1 {
            let reason = info.error.split(separator: ":", maxSplits: 1).first.map(String.init) ?? info.error
            logger.warning(
                "message dead-lettered",
                metadata: [
                    "bridge_id": "\(request.envelope.bridgeID)", "reason": "\(reason)", "error": "\(info.error)",
                    "destination": "\(info.destination)", "attempts": "\(info.attempts)", "source": "\(info.source)",
                ]
            )
        }
        sink.publish(request, for: route)
    }
}
