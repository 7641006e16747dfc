import BridgeAMQP10
import BridgeCore
import Logging
import NIOCore

extension BridgeRuntime {
    /// The handle of a `protocol: amqp10` connection.
    static func amqp10Handle(
        name: String,
        settings: AMQP10ConnectionSettings,
        config: BridgeConfig,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) -> any ConnectionHandle {
        AMQP10ConnectionHandle(
            adapter: AMQP10Adapter(
                name: name, settings: settings, clientPrefix: "\(config.bridge.name)-\(config.bridge.instance)",
                eventLoopGroup: eventLoopGroup, logger: logger
            )
        )
    }
}

// MARK: - AMQP 1.0

struct AMQP10ConnectionHandle: ConnectionHandle {
    let adapter: AMQP10Adapter
    var name: String { adapter.name }

    func sink(for destination: DestinationConfig, route: RouteConfig, dropped: FieldsDropped) throws -> any DeliverySink {
        try adapter.makeSink(destination: destination, route: route.name, maxMessageSize: route.maxMessageSize) { dropped.record($0) }
    }

    func source(for route: RouteConfig, dropped: FieldsDropped) throws -> any RouteSourceHandle {
        AMQP10SourceHandle(source: try adapter.makeSource(route: route) { dropped.record($0) })
    }

    func start() throws {}
    var isUp: Bool? { get async { adapter.isConnected } }
    func shutdown(timeout: TimeAmount) async { await adapter.shutdown() }
}

struct AMQP10SourceHandle: RouteSourceHandle {
    let source: AMQP10Source
    var deliverySource: any DeliverySource { source }
    func start(_ delivery: RouteDelivery) throws { source.start(delivery) }
    /// Link credit 0: the peer sends nothing more; accepts of what is in flight still go out.
    func stopTaking() async { await source.stop() }
    /// `released` for what is still unsettled, then detach.
    func close() async { await source.close() }
    var isUp: Bool { get async { source.isConsuming } }
}
