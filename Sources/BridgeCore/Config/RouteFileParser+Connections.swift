import NIOCore
import Yams

extension RouteFileParser {
    static let connectionKeys: [BridgeProtocol: [String]] = [
        .mqtt: ["protocol", "url", "urls", "mqtt_version", "client_id", "session_expiry", "keepalive", "username", "password", "password_file", "tls", "reconnect"],
        .kafka: ["protocol", "bootstrap_servers", "group_id", "properties"],
        .amqp: ["protocol", "url", "urls", "heartbeat", "prefetch", "tls", "reconnect"],
        .amqp10: ["protocol", "url", "urls", "idle_timeout", "tls", "reconnect"],
    ]

    /// librdkafka properties the bridge owns because the delivery promise depends on them.
    static let reservedKafkaProperties: [String: String] = [
        "bootstrap.servers": "use the connection's bootstrap_servers key",
        "metadata.broker.list": "use the connection's bootstrap_servers key",
        "group.id": "use the connection's group_id key",
        "enable.auto.offset.store": "the bridge stores offsets only behind confirmed messages",
        "enable.auto.commit": "the bridge commits the offsets it stored; turning commits off would replay everything",
        "enable.idempotence": "the bridge publishes with the idempotent producer",
        "acks": "the bridge publishes with acks=all",
        "request.required.acks": "the bridge publishes with acks=all",
        "allow.auto.create.topics": "the bridge never creates topics: an unknown topic is a permanent failure",
        "partition.assignment.strategy": "the bridge uses cooperative-sticky assignment",
    ]

    func parseConnections(_ node: Node?) -> [ConnectionConfig] {
        guard let node else { return [] }
        guard case .mapping(let mapping) = node else {
            reader.fail(node, "connections", "expected a mapping of connection names to settings, found \(reader.describe(node))")
            return []
        }
        if mapping.count == 0 {
            reader.fail(node, "connections", "no connections are defined", hint: "define at least the brokers the routes use")
        }
        var out: [ConnectionConfig] = []
        for (keyNode, value) in mapping {
            let name = keyNode.scalar?.string ?? ""
            let path = "connections.\(name)"
            guard RouteFileParser.isValidName(name) else {
                reader.fail(keyNode, path, "'\(name)' is not a valid connection name", hint: "use \(RouteFileParser.namePattern)")
                continue
            }
            if let c = parseConnection(name: name, value, path) { out.append(c) }
        }
        return out
    }

    func parseConnection(name: String, _ node: Node, _ path: String) -> ConnectionConfig? {
        let allKeys = Array(Set(RouteFileParser.connectionKeys.values.joined())).sorted()
        // First find the protocol, then check the keys against that protocol's list.
        guard case .mapping(let mapping) = node else {
            reader.fail(node, path, "expected the connection's settings as a mapping, found \(reader.describe(node))")
            return nil
        }
        guard let protocolNode = mapping["protocol"], let protocolText = reader.string(protocolNode, "\(path).protocol") else {
            reader.fail(node, "\(path).protocol", "required key 'protocol' is missing", hint: "use one of: mqtt, kafka, amqp, amqp10")
            _ = reader.fields(node, path, known: allKeys)
            return nil
        }
        guard let proto = BridgeProtocol(rawValue: protocolText) else {
            reader.fail(protocolNode, "\(path).protocol", "unknown protocol '\(protocolText)'", hint: "use one of: mqtt, kafka, amqp, amqp10")
            return nil
        }
        guard loader.implementedProtocols.contains(proto) else {
            let implemented = BridgeProtocol.allCases.filter { loader.implementedProtocols.contains($0) }.map(\.rawValue)
            reader.fail(
                protocolNode, "\(path).protocol", "protocol '\(proto)' is not implemented in this build",
                hint: "this build implements: \(implemented.joined(separator: ", "))"
            )
            return nil
        }
        guard let f = reader.fields(node, path, known: RouteFileParser.connectionKeys[proto]!, context: "\(proto) connections") else { return nil }
        switch proto {
        case .mqtt: return parseMQTT(name: name, f).map { ConnectionConfig(name: name, settings: .mqtt($0)) }
        case .kafka: return parseKafka(name: name, f).map { ConnectionConfig(name: name, settings: .kafka($0)) }
        case .amqp: return parseAMQP(f).map { ConnectionConfig(name: name, settings: .amqp($0)) }
        case .amqp10: return parseAMQP10(f).map { ConnectionConfig(name: name, settings: .amqp10($0)) }
        }
    }

    func parseURLs(_ f: YAMLReader.Fields, ports: [String: Int], example: String) -> [BrokerURL] {
        var texts: [(String, Node?, String)] = []
        if f.has("url"), f.has("urls") {
            reader.fail(f.keyNodes["urls"], f.path("urls"), "both url and urls are set", hint: "use url for one broker or urls: [a, b] for several")
        }
        if let u = reader.string(f, "url") {
            texts.append((u, f.entries["url"], f.path("url")))
        } else if let listNode = reader.optional(f, "urls"), let list = reader.stringList(listNode, f.path("urls")) {
            if list.isEmpty { reader.fail(listNode, f.path("urls"), "the list is empty", hint: "name at least one broker URL") }
            if case .sequence(let seq) = listNode {
                for (i, (text, item)) in zip(list, seq).enumerated() { texts.append((text, item, "\(f.path("urls"))[\(i)]")) }
            }
        } else if !f.has("url") && !f.has("urls") {
            reader.fail(f.node, f.path("url"), "required key 'url' is missing", hint: "e.g. url: \(example)")
        }
        var urls: [BrokerURL] = []
        let schemes = ports.keys.sorted().map { "\($0)://" }.joined(separator: " or ")
        for (text, node, path) in texts {
            switch BrokerURL.parse(text, defaultPorts: ports) {
            case .success(let url): urls.append(url)
            case .failure(let problem):
                // Never echo the URL itself: it may hold a password.
                switch problem {
                case .noScheme: reader.fail(node, path, "the URL has no scheme", hint: "use \(schemes), e.g. \(example)")
                case .scheme(let scheme): reader.fail(node, path, "URL scheme '\(scheme)' is not allowed here", hint: "use \(schemes), e.g. \(example)")
                case .host: reader.fail(node, path, "the URL has no valid host", hint: "e.g. \(example)")
                case .port: reader.fail(node, path, "the URL's port is not a number from 1 to 65535", hint: "e.g. \(example)")
                case .encoding: reader.fail(node, path, "the URL has a bad %-escape", hint: "escape reserved characters as %XX")
                }
            }
        }
        return urls
    }

    func parseTLS(_ f: YAMLReader.Fields) -> TLSSettings? {
        guard let node = reader.optional(f, "tls") else { return nil }
        guard let t = reader.fields(node, f.path("tls"), known: ["ca_file", "cert_file", "key_file", "verify", "server_name"]) else { return nil }
        var tls = TLSSettings(caFile: nil, certFile: nil, keyFile: nil, verify: true, serverName: nil)
        if let ca = reader.string(t, "ca_file") { tls.caFile = checkReadable(ca, t.entries["ca_file"], t.path("ca_file")) }
        if let cert = reader.string(t, "cert_file") { tls.certFile = checkReadable(cert, t.entries["cert_file"], t.path("cert_file")) }
        if let key = reader.string(t, "key_file") { tls.keyFile = checkReadable(key, t.entries["key_file"], t.path("key_file")) }
        if (tls.certFile == nil) != (tls.keyFile == nil), t.has("cert_file") != t.has("key_file") {
            reader.fail(node, t.path(t.has("cert_file") ? "key_file" : "cert_file"), "a client certificate needs both cert_file and key_file")
        }
        tls.verify = reader.bool(t, "verify", default: true)
        tls.serverName = reader.string(t, "server_name")
        return tls
    }

    func parseReconnect(_ f: YAMLReader.Fields) -> ReconnectSettings {
        guard let node = reader.optional(f, "reconnect"), let r = reader.fields(node, f.path("reconnect"), known: ["initial", "max"]) else {
            return .default
        }
        let initial = reader.duration(r, "initial", default: ReconnectSettings.default.initial, min: .milliseconds(10))
        let max = reader.duration(r, "max", default: ReconnectSettings.default.max, min: .milliseconds(10))
        if max < initial {
            reader.fail(r.entries["max"] ?? node, r.path("max"), "max (\(Units.format(max))) is below initial (\(Units.format(initial)))", hint: "max must be at least initial")
        }
        return ReconnectSettings(initial: initial, max: max)
    }

    func parsePassword(_ f: YAMLReader.Fields) -> Secret? {
        if f.has("password"), f.has("password_file") {
            reader.fail(f.keyNodes["password_file"], f.path("password_file"), "both password and password_file are set", hint: "use one of them")
        }
        if let file = reader.string(f, "password_file") { return readSecret(file, f.entries["password_file"], f.path("password_file")) }
        return reader.string(f, "password").map(Secret.init)
    }

    func parseMQTT(name: String, _ f: YAMLReader.Fields) -> MQTTConnectionSettings? {
        let urls = parseURLs(f, ports: ["mqtt": 1883, "mqtts": 8883], example: "mqtt://127.0.0.1:1883")
        var version = MQTTConnectionSettings.Version.v5
        if let node = reader.optional(f, "mqtt_version"), let text = reader.string(node, f.path("mqtt_version")) {
            switch text {
            case "5", "5.0": version = .v5
            case "3.1.1", "311", "4": version = .v311
            default: reader.fail(node, f.path("mqtt_version"), "MQTT version '\(text)' is not supported", hint: "use 5 or \"3.1.1\"")
            }
        }
        var clientID = ""  // empty: bridge.name, filled in by parse(_:)
        if let id = reader.string(f, "client_id") {
            if RouteFileParser.isValidClientIDPart(id) {
                clientID = id
            } else {
                reader.fail(f.entries["client_id"], f.path("client_id"), "'\(id)' is not a portable MQTT client id", hint: "use letters, digits, '.', '_' and '-'")
            }
        }
        let sessionExpiry = reader.duration(f, "session_expiry", default: .hours(1))
        if sessionExpiry.nanoseconds / 1_000_000_000 > Int64(UInt32.max) {
            reader.fail(f.entries["session_expiry"], f.path("session_expiry"), "over MQTT's maximum of 4294967295 s")
        }
        if version == .v311, f.has("session_expiry") {
            reader.warnings.append(ConfigWarning(route: nil, message: "connection \(name): MQTT 3.1.1 has no session expiry; the broker keeps the session by its own settings"))
        }
        let keepalive = reader.duration(f, "keepalive", default: .seconds(30), min: .seconds(1))
        if keepalive > .seconds(65535) {
            reader.fail(f.entries["keepalive"], f.path("keepalive"), "keepalive over 65535 s", hint: "MQTT keepalive is at most 18h12m15s")
        }
        let password = parsePassword(f)
        let username = reader.string(f, "username")
        if password != nil, username == nil {
            reader.fail(f.node, f.path("username"), "a password is set without a username", hint: "set username too")
        }
        var tls = parseTLS(f)
        if tls == nil, urls.contains(where: \.tls) { tls = TLSSettings(caFile: nil, certFile: nil, keyFile: nil, verify: true, serverName: nil) }
        if tls != nil, !urls.isEmpty, !urls.allSatisfy(\.tls) {
            reader.fail(f.entries["tls"], f.path("tls"), "tls is set but a URL is mqtt://", hint: "use mqtts:// URLs with tls")
        }
        return MQTTConnectionSettings(
            urls: urls, version: version, clientID: clientID, sessionExpiry: sessionExpiry, keepalive: keepalive,
            username: username, password: password, tls: tls, reconnect: parseReconnect(f)
        )
    }

    func parseKafka(name: String, _ f: YAMLReader.Fields) -> KafkaConnectionSettings? {
        var servers: [String] = []
        if let node = reader.required(f, "bootstrap_servers", hint: "e.g. bootstrap_servers: 127.0.0.1:9092") {
            let list: [String]?
            if case .sequence = node { list = reader.stringList(node, f.path("bootstrap_servers")) } else {
                list = reader.string(node, f.path("bootstrap_servers")).map { $0.split(separator: ",").map { String($0).trimmingSpaces } }
            }
            for server in list ?? [] {
                let hostPort = server.firstRange(of: "://").map { String(server[$0.upperBound...]) } ?? server
                if HostPort(parsing: hostPort) == nil {
                    reader.fail(node, f.path("bootstrap_servers"), "'\(server)' is not host:port", hint: "e.g. 127.0.0.1:9092")
                } else {
                    servers.append(server)
                }
            }
        }
        let groupID = reader.string(f, "group_id") ?? ""
        var properties: [(key: String, value: String)] = []
        if let node = reader.optional(f, "properties") {
            if case .mapping(let mapping) = node {
                for (k, v) in mapping {
                    let key = k.scalar?.string ?? ""
                    let path = "\(f.path("properties")).\(key)"
                    guard let value = reader.string(v, path) else { continue }
                    if let why = RouteFileParser.reservedKafkaProperties[key] {
                        reader.fail(k, path, "'\(key)' is set by the bridge", hint: why)
                        continue
                    }
                    properties.append((key, value))
                }
            } else {
                reader.fail(node, f.path("properties"), "expected a mapping of librdkafka properties, found \(reader.describe(node))")
            }
        }
        return KafkaConnectionSettings(bootstrapServers: servers, groupID: groupID, properties: properties)
    }

    func parseAMQP(_ f: YAMLReader.Fields) -> AMQPConnectionSettings? {
        let urls = parseURLs(f, ports: ["amqp": 5672, "amqps": 5671], example: "amqp://guest:guest@127.0.0.1:5672/%2f")
        let heartbeat = reader.duration(f, "heartbeat", default: .seconds(30))
        if heartbeat > .seconds(65535) { reader.fail(f.entries["heartbeat"], f.path("heartbeat"), "heartbeat over 65535 s") }
        var prefetch = AMQPConnectionSettings.Prefetch.auto
        if let node = reader.optional(f, "prefetch"), let text = reader.string(node, f.path("prefetch")) {
            if text == "auto" {
                prefetch = .auto
            } else if let n = Int(text), (1...65535).contains(n) {
                prefetch = .count(n)
            } else {
                reader.fail(
                    node, f.path("prefetch"), text == "0" ? "prefetch 0 means unlimited to RabbitMQ and is not allowed" : "'\(text)' is not a prefetch",
                    hint: "use auto (the route's max_in_flight) or a number from 1 to 65535"
                )
            }
        }
        var tls = parseTLS(f)
        if tls == nil, urls.contains(where: \.tls) { tls = TLSSettings(caFile: nil, certFile: nil, keyFile: nil, verify: true, serverName: nil) }
        return AMQPConnectionSettings(urls: urls, heartbeat: heartbeat, prefetch: prefetch, tls: tls, reconnect: parseReconnect(f))
    }

    func parseAMQP10(_ f: YAMLReader.Fields) -> AMQP10ConnectionSettings? {
        let urls = parseURLs(f, ports: ["amqp": 5672, "amqps": 5671], example: "amqps://user:pass@broker:5671")
        let idle = reader.duration(f, "idle_timeout", default: .seconds(30))
        return AMQP10ConnectionSettings(urls: urls, idleTimeout: idle, tls: parseTLS(f), reconnect: parseReconnect(f))
    }
}
