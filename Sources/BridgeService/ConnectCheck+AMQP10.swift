import BridgeAMQP10
import BridgeCore
import NIOCore

extension ConnectCheck {
    /// `check --connect` of one AMQP 1.0 connection: the lines to print and whether it passed.
    static func amqp10(
        _ connection: ConnectionConfig,
        settings: AMQP10ConnectionSettings,
        config: BridgeConfig,
        eventLoop: any EventLoop,
        timeout: TimeAmount
    ) async -> (ok: Bool, lines: [String]) {
        let label = "connection \(connection.name) (\(connection.protocol))"
        let names = AMQP10ConnectionCheck.addresses(on: connection.name, in: config)
        let report = await AMQP10ConnectionCheck.run(
            name: "\(config.bridge.name)-\(config.bridge.instance)", settings: settings, sources: names.sources, targets: names.targets,
            eventLoop: eventLoop, timeout: timeout
        )
        guard report.ok else {
            if !report.connected && report.problems.isEmpty { return (false, ["\(label): FAILED: could not connect"]) }
            return (false, report.problems.map { "\(label): FAILED: \($0)" })
        }
        var line = "\(label): connected and authenticated"
        let all = names.sources + names.targets
        if !all.isEmpty { line += "; addresses attached: \(all.joined(separator: ", "))" }
        return (true, [line])
    }
}
