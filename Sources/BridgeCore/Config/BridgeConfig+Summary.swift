extension BridgeConfig {
    /// The route table as `check` prints it, secrets redacted.
    public func summary() -> String {
        var out = "\(file): valid\n"
        out += "bridge \(bridge.name), instance \(bridge.instance), http \(bridge.http?.description ?? "off")"
        if bridge.httpToken != nil { out += " (bearer token ***)" }
        out += ", shutdown_timeout \(Units.format(bridge.shutdownTimeout)), max_in_flight \(bridge.maxInFlight)"
        out += ", max_message_size \(bridge.maxMessageSize) bytes, max_hops \(bridge.maxHops)\n"
        out += "\nconnections:\n"
        let width = connections.map(\.name.count).max() ?? 0
        for c in connections {
            out += "  \(c.name.padding(width))  \(c.protocol.rawValue.padding(6))  \(c.settingsSummary)\n"
        }
        out += "\nroutes:\n"
        for r in routes {
            out += "  \(r.name): \(r.source.summary(connections: connections))\n"
            for d in r.destinations {
                out += "    -> \(d.summary)\n"
            }
            var policy = "max_in_flight \(r.maxInFlight), max_message_size \(r.maxMessageSize)"
            if r.ordering == .strict { policy += ", ordering strict" }
            policy += ", retry \(r.onError.attempts) attempts \(Units.format(r.onError.backoff))..\(Units.format(r.onError.maxBackoff))"
            policy += ", exhausted \(r.onError.exhausted.rawValue)"
            out += "       \(policy)\n"
            if let dl = r.onError.deadLetter { out += "    dead letter -> \(dl.summary)\n" }
        }
        return out
    }
}

extension ConnectionConfig {
    var settingsSummary: String {
        switch settings {
        case .mqtt(let m):
            var s = m.urls.map(\.description).joined(separator: ", ") + " (MQTT \(m.version.rawValue), client id \(m.clientID)"
            if let u = m.username { s += ", user \(u)" }
            if m.password != nil { s += ", password ***" }
            if m.tls != nil { s += ", tls" }
            return s + ", session_expiry \(Units.format(m.sessionExpiry)), keepalive \(Units.format(m.keepalive)))"
        case .kafka(let k):
            var s = k.bootstrapServers.joined(separator: ",") + " (group \(k.groupID)"
            for p in k.properties {
                s += ", \(p.key)=\(KafkaConnectionSettings.isSecretProperty(p.key) ? "***" : p.value)"
            }
            return s + ")"
        case .amqp(let a):
            var s = a.urls.map(\.description).joined(separator: ", ") + " (heartbeat \(Units.format(a.heartbeat))"
            switch a.prefetch {
            case .auto: s += ", prefetch auto"
            case .count(let n): s += ", prefetch \(n)"
            }
            return s + (a.tls != nil ? ", tls)" : ")")
        case .amqp10(let a):
            return a.urls.map(\.description).joined(separator: ", ") + " (idle_timeout \(Units.format(a.idleTimeout)))"
        }
    }
}

extension SourceConfig {
    func summary(connections: [ConnectionConfig]) -> String {
        switch self {
        case .mqtt(let s):
            return "from mqtt \(s.connection) topic \"\(s.subscription)\" qos \(s.qos), retained \(s.retained.rawValue)"
        case .kafka(let s):
            return "from kafka \(s.connection) topics \(s.topics.joined(separator: ", ")) (start \(s.start.rawValue))"
        case .amqp(let s):
            var out = "from amqp \(s.connection) queue \(s.queue)"
            if let d = s.declare {
                out += " (declared\(d.durable ? " durable" : "")"
                for b in d.bindings { out += ", bound to \(b.exchange) \"\(b.routingKey)\"" }
                out += ")"
            }
            return out
        case .amqp10(let s):
            return "from amqp10 \(s.connection) address \(s.address)"
        }
    }
}

extension DestinationConfig {
    var summary: String {
        var s: String
        switch target {
        case .amqp(let exchange, let key): s = "amqp \(connection) exchange \"\(exchange)\" routing_key \"\(key.source)\""
        case .kafka(let topic, let key):
            s = "kafka \(connection) topic \"\(topic.source)\""
            if let key { s += " key \"\(key.source)\"" }
        case .mqtt(let topic, let qos, let retain, let require):
            s = "mqtt \(connection) topic \"\(topic.source)\" qos \(qos)"
            if retain { s += " retain" }
            if require { s += " require_subscribers" }
        case .amqp10(let address): s = "amqp10 \(connection) address \"\(address.source)\""
        }
        if let allow { s += " allow \(allow)" }
        return s
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
