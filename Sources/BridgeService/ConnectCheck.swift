import BridgeCore
import NIOCore
import NIOPosix

/// `check --connect`: reaches every broker of the configuration.
///
/// This build checks that each broker accepts a TCP connection. Authentication and the
/// passive checks of queues, exchanges and topics come with each protocol's adapter, and
/// the report says so for every connection instead of claiming them.
public enum ConnectCheck {
    public struct Report: Sendable {
        public var ok: Bool
        public var report: [String]
    }

    public static func run(_ config: BridgeConfig, timeout: TimeAmount = .seconds(5)) async -> Report {
        var ok = true
        var lines: [String] = []
        for connection in config.connections {
            let endpoints: [(String, Int)]
            switch connection.settings {
            case .mqtt(let m): endpoints = m.urls.map { ($0.host, $0.port) }
            case .amqp(let a): endpoints = a.urls.map { ($0.host, $0.port) }
            case .amqp10(let a): endpoints = a.urls.map { ($0.host, $0.port) }
            case .kafka(let k):
                endpoints = k.bootstrapServers.compactMap { server in
                    let hp = server.firstRange(of: "://").map { String(server[$0.upperBound...]) } ?? server
                    return HostPort(parsing: hp).map { ($0.host, $0.port) }
                }
            }
            var reached = false
            var problems: [String] = []
            for (host, port) in endpoints {
                do {
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connectTimeout(timeout)
                        .connect(host: host, port: port).get()
                    try? await channel.close()
                    reached = true
                    break
                } catch {
                    problems.append("\(host):\(port): \(error)")
                }
            }
            if reached {
                lines.append("connection \(connection.name) (\(connection.protocol)): reachable (TCP); authentication and queue/exchange/topic checks are not in this build yet")
            } else {
                ok = false
                lines.append("connection \(connection.name) (\(connection.protocol)): UNREACHABLE: \(problems.joined(separator: "; "))")
            }
        }
        return Report(ok: ok, report: lines)
    }
}
