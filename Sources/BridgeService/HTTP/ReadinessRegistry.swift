import Synchronization

/// What `/readyz` and `/healthz` report: the state of every configured connection and route.
///
/// Created with the configured names, so every name is reported from the start, `down`
/// until its owner says otherwise. Connections set `up`, `down` or `connecting`; routes set
/// `consuming`, `blocked`, `paused` or `down`. The bridge is ready when every connection is
/// `up` and every route is `consuming`. Safe to use from any thread.
public final class ReadinessRegistry: Sendable {
    /// The state of one broker connection.
    public enum ConnectionState: String, Sendable, Hashable, CaseIterable {
        case up
        case down
        case connecting
    }

    /// The state of one route.
    public enum RouteState: String, Sendable, Hashable, CaseIterable {
        /// Taking messages from its source.
        case consuming
        /// Its window is full, or a destination refuses to take more (back-pressure).
        case blocked
        /// Stopped on purpose (a drain, a reload, a Kafka rebalance).
        case paused
        /// Not running.
        case down
    }

    /// A consistent copy of every state, taken under the lock.
    public struct Snapshot: Sendable, Hashable {
        /// Connection name to state.
        public var connections: [String: ConnectionState]
        /// Route name to state.
        public var routes: [String: RouteState]

        /// Every connection is `up` and every route is `consuming`.
        public var isReady: Bool {
            self.connections.values.allSatisfy { $0 == .up } && self.routes.values.allSatisfy { $0 == .consuming }
        }
    }

    private let state: Mutex<Snapshot>

    /// - Parameters:
    ///   - connections: The names of every configured connection; each starts `down`.
    ///   - routes: The names of every configured route; each starts `down`.
    public init(connections: some Sequence<String>, routes: some Sequence<String>) {
        var snapshot = Snapshot(connections: [:], routes: [:])
        for name in connections {
            snapshot.connections[name] = .down
        }
        for name in routes {
            snapshot.routes[name] = .down
        }
        self.state = Mutex(snapshot)
    }

    /// Sets the state of a connection; a name not seen before is added (a reload may add one).
    public func setConnection(_ name: String, to state: ConnectionState) {
        self.state.withLock { $0.connections[name] = state }
    }

    /// Sets the state of a route; a name not seen before is added (a reload may add one).
    public func setRoute(_ name: String, to state: RouteState) {
        self.state.withLock { $0.routes[name] = state }
    }

    /// Forgets a connection that a reload removed.
    public func removeConnection(_ name: String) {
        _ = self.state.withLock { $0.connections.removeValue(forKey: name) }
    }

    /// Forgets a route that a reload removed.
    public func removeRoute(_ name: String) {
        _ = self.state.withLock { $0.routes.removeValue(forKey: name) }
    }

    /// A copy of every state.
    public func snapshot() -> Snapshot {
        self.state.withLock { $0 }
    }

    /// Whether every connection is `up` and every route is `consuming`.
    public var isReady: Bool {
        self.state.withLock { $0.isReady }
    }
}

extension ReadinessRegistry.Snapshot {
    /// The JSON body of `/readyz` and `/healthz`:
    /// `{"status":"ready","connections":{"plant":"up"},"routes":{"batch-events":"consuming"}}`,
    /// names sorted so the output is stable.
    public func json() -> String {
        var out = #"{"status":"#
        out.appendJSONString(self.isReady ? "ready" : "not_ready")
        out += #","connections":{"#
        for (index, name) in self.connections.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out.appendJSONString(name)
            out += ":"
            out.appendJSONString(self.connections[name]!.rawValue)
        }
        out += #"},"routes":{"#
        for (index, name) in self.routes.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out.appendJSONString(name)
            out += ":"
            out.appendJSONString(self.routes[name]!.rawValue)
        }
        out += "}}"
        return out
    }
}

extension String {
    /// Appends `value` as a JSON string literal (RFC 8259 section 7).
    fileprivate mutating func appendJSONString(_ value: String) {
        self += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": self += "\\\""
            case "\\": self += "\\\\"
            case "\n": self += "\\n"
            case "\r": self += "\\r"
            case "\t": self += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                self += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: self.unicodeScalars.append(scalar)
            }
        }
        self += "\""
    }
}
