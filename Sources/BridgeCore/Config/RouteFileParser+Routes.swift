import NIOCore
import Yams

extension RouteFileParser {
    static let routeKeys = ["name", "from", "to", "max_in_flight", "max_message_size", "on_error", "ordering", "allow_all"]
    static let sourceKeys: [BridgeProtocol: [String]] = [
        .mqtt: ["connection", "topic", "qos", "retained", "share_group"],
        .kafka: ["connection", "topic", "topics", "start"],
        .amqp: ["connection", "queue", "declare"],
        .amqp10: ["connection", "address"],
    ]
    static let destinationKeys: [BridgeProtocol: [String]] = [
        .mqtt: ["connection", "topic", "qos", "retain", "require_subscribers", "allow"],
        .kafka: ["connection", "topic", "key", "allow"],
        .amqp: ["connection", "exchange", "routing_key", "allow"],
        .amqp10: ["connection", "address", "allow"],
    ]

    func parseRoutes(_ node: Node?, bridge: BridgeSettings, connections: [ConnectionConfig]) -> [RouteConfig] {
        guard let node else { return [] }
        guard case .sequence(let seq) = node else {
            reader.fail(node, "routes", "expected a list of routes, found \(reader.describe(node))", hint: "write one '- name: ...' entry per route")
            return []
        }
        if seq.count == 0 { reader.fail(node, "routes", "no routes are defined", hint: "add at least one route") }
        var routes: [RouteConfig] = []
        var seen: [String: Int] = [:]
        // Kafka topics and AMQP queues already read by a route: a second route would join the
        // same consumer group or compete on the same queue and get only part of the messages.
        var readers: [String: String] = [:]
        for (i, item) in seq.enumerated() {
            let path = "routes[\(i)]"
            guard let f = reader.fields(item, path, known: RouteFileParser.routeKeys) else { continue }
            let name = reader.string(f, "name", required: true, hint: "name the route ([a-z0-9_.-]+); it is the route label in metrics")
            if let name {
                if !RouteFileParser.isValidName(name) {
                    reader.fail(f.entries["name"], f.path("name"), "'\(name)' is not a valid route name", hint: "use \(RouteFileParser.namePattern)")
                } else if let line = seen[name] {
                    reader.fail(f.entries["name"], f.path("name"), "route name '\(name)' is used twice", hint: "route names are unique; the first is at line \(line)")
                } else {
                    seen[name] = f.entries["name"]?.mark?.line ?? 0
                }
            }
            guard let route = parseRoute(f, name: name ?? "", bridge: bridge, connections: connections) else { continue }
            var sources: [String] = []
            switch route.source {
            case .kafka(let k): sources = k.topics.map { "kafka \(k.connection) topic '\($0)'" }
            case .amqp(let a): sources = ["amqp \(a.connection) queue '\(a.queue)'"]
            case .amqp10(let a): sources = ["amqp10 \(a.connection) address '\(a.address)'"]
            case .mqtt: break
            }
            for source in sources {
                if let other = readers[source] {
                    reader.fail(
                        f.entries["from"], f.path("from"), "\(source) is already read by route '\(other)'",
                        hint: "two routes would split its messages between them; give one route several destinations (to: [a, b])"
                    )
                } else {
                    readers[source] = route.name
                }
            }
            routes.append(route)
        }
        return routes
    }

    func connection(_ f: YAMLReader.Fields, _ connections: [ConnectionConfig]) -> ConnectionConfig? {
        guard let name = reader.string(f, "connection", required: true, hint: "name one of the connections") else { return nil }
        if let c = connections.first(where: { $0.name == name }) { return c }
        let known = connections.map(\.name)
        reader.fail(
            f.entries["connection"], f.path("connection"), "unknown connection '\(name)'",
            hint: YAMLReader.closest(to: name, in: known).map { "did you mean '\($0)'?" } ?? "defined connections: \(known.joined(separator: ", "))"
        )
        return nil
    }

    /// Reads a `from:` or `to:` mapping whose valid keys depend on its connection's protocol:
    /// finds the connection first, then checks the keys against that protocol's list.
    func connectionFields(
        _ node: Node, _ path: String, connections: [ConnectionConfig], keys: [BridgeProtocol: [String]], role: String
    ) -> (ConnectionConfig, YAMLReader.Fields)? {
        let allKeys = Array(Set(keys.values.joined())).sorted()
        guard case .mapping(let mapping) = node else {
            _ = reader.fields(node, path, known: allKeys)
            return nil
        }
        let pre = YAMLReader.Fields(path: path, node: node, entries: ["connection": mapping["connection"]].compactMapValues { $0 }, keyNodes: [:])
        guard let conn = connection(pre, connections) else {
            _ = reader.fields(node, path, known: allKeys)
            return nil
        }
        guard let f = reader.fields(node, path, known: keys[conn.protocol]!, context: "\(conn.protocol) \(role)") else { return nil }
        return (conn, f)
    }

    func parseRoute(_ f: YAMLReader.Fields, name: String, bridge: BridgeSettings, connections: [ConnectionConfig]) -> RouteConfig? {
        let allowAll = reader.bool(f, "allow_all", default: false)
        let source = reader.required(f, "from", hint: "from: { connection: ..., topic|queue: ... }").flatMap {
            parseSource($0, f.path("from"), connections: connections, allowAll: allowAll, route: name)
        }
        var destinations: [DestinationConfig] = []
        if let toNode = reader.required(f, "to", hint: "to: { connection: ..., ... } or a list of them") {
            if case .sequence(let seq) = toNode {
                if seq.count == 0 { reader.fail(toNode, f.path("to"), "the list of destinations is empty", hint: "name at least one destination") }
                for (i, item) in seq.enumerated() {
                    if let d = parseDestination(item, "\(f.path("to"))[\(i)]", connections: connections, route: name) { destinations.append(d) }
                }
            } else if let d = parseDestination(toNode, f.path("to"), connections: connections, route: name) {
                destinations.append(d)
            }
        }
        let maxInFlight = reader.int(f, "max_in_flight", range: 1...65535, default: bridge.maxInFlight)
        let maxMessageSize = reader.size(f, "max_message_size", default: bridge.maxMessageSize)
        let ordering = reader.choice(f, "ordering", default: RouteConfig.Ordering.default, allowed: [.default, .strict])
        let onError = parseOnError(reader.optional(f, "on_error"), f.path("on_error"), source: source, connections: connections, route: name)
        guard let source, let onError else { return nil }
        if allowAll, !sourceTakesEverything(source) {
            // Harmless, but say so: allow_all widens nothing here.
            reader.warnings.append(ConfigWarning(route: name, message: "allow_all is set but the source does not take everything"))
        }
        return RouteConfig(
            name: name, source: source, destinations: destinations, maxInFlight: maxInFlight, maxMessageSize: maxMessageSize,
            onError: onError, ordering: ordering, allowAll: allowAll
        )
    }

    func sourceTakesEverything(_ source: SourceConfig) -> Bool {
        switch source {
        case .mqtt(let s): return s.filter.matchesEverything
        case .kafka(let s): return s.topics.contains(where: RouteFileParser.kafkaPatternTakesEverything)
        case .amqp(let s): return s.declare?.bindings.contains { RouteFileParser.bindingTakesEverything($0.routingKey) } ?? false
        case .amqp10: return false
        }
    }

    /// A topic-exchange binding key that matches every routing key (`#`, `#.#`, `*.#`, …): the
    /// AMQP form of MQTT's `#`, which needs `allow_all`.
    static func bindingTakesEverything(_ key: String) -> Bool {
        let words = key.split(separator: ".", omittingEmptySubsequences: false)
        return words.contains("#") && words.allSatisfy { $0 == "#" || $0 == "*" }
    }

    static func kafkaPatternTakesEverything(_ topic: String) -> Bool {
        guard topic.hasPrefix("^") else { return false }
        let body = topic.dropFirst()
        return ["", ".*", ".+", ".*$", ".+$", "(.*)", "[^]*"].contains(String(body))
    }

    // MARK: from

    func parseSource(_ node: Node, _ path: String, connections: [ConnectionConfig], allowAll: Bool, route: String) -> SourceConfig? {
        guard let (conn, f) = connectionFields(node, path, connections: connections, keys: RouteFileParser.sourceKeys, role: "sources") else {
            return nil
        }
        switch conn.protocol {
        case .mqtt:
            guard let topic = reader.string(f, "topic", required: true, hint: "an MQTT topic filter such as plant/+/batch/#") else { return nil }
            let filter: TopicFilter
            do {
                filter = try TopicFilter(topic)
            } catch {
                reader.fail(f.entries["topic"], f.path("topic"), "'\(topic)' is not a valid topic filter: \(error)")
                return nil
            }
            if filter.matchesEverything, !allowAll {
                reader.fail(
                    f.entries["topic"], f.path("topic"), "the filter '\(topic)' takes every message on the broker",
                    hint: "name the topics to forward, or set allow_all: true on the route to make it an open conduit on purpose"
                )
            }
            let qos = reader.int(f, "qos", range: 0...2, default: 1)
            if qos == 0 {
                reader.fail(f.entries["qos"], f.path("qos"), "a QoS 0 subscription cannot keep the delivery promise", hint: "use qos 1 (or 2)")
            }
            let retained = reader.choice(f, "retained", default: SourceConfig.MQTTSource.Retained.forward, allowed: [.forward, .skip])
            var shareGroup: String?
            if let group = reader.string(f, "share_group") {
                if SharedSubscription.isValidGroup(group) {
                    shareGroup = group
                } else {
                    reader.fail(f.entries["share_group"], f.path("share_group"), "'\(group)' is not a valid share name", hint: "a share name has no '/', '+' or '#'")
                }
            }
            return .mqtt(.init(connection: conn.name, filter: filter, qos: qos, retained: retained, shareGroup: shareGroup))
        case .kafka:
            var topics: [String] = []
            if f.has("topic"), f.has("topics") {
                reader.fail(f.keyNodes["topics"], f.path("topics"), "both topic and topics are set", hint: "use topic: a or topics: [a, b]")
            }
            if let t = reader.string(f, "topic") {
                topics = [t]
            } else if let list = reader.stringList(reader.optional(f, "topics"), f.path("topics")) {
                topics = list
                if list.isEmpty { reader.fail(f.entries["topics"], f.path("topics"), "the list of topics is empty") }
            } else if !f.has("topic") && !f.has("topics") {
                reader.fail(f.node, f.path("topic"), "required key 'topic' is missing", hint: "topic: NAME or topics: [a, b]")
            }
            let topicsNode = f.entries["topic"] ?? f.entries["topics"]
            for topic in topics {
                if topic.hasPrefix("^") {
                    if RouteFileParser.kafkaPatternTakesEverything(topic), !allowAll {
                        reader.fail(
                            topicsNode, f.path(f.has("topic") ? "topic" : "topics"), "the pattern '\(topic)' takes every topic of the cluster",
                            hint: "name the topics, or set allow_all: true on the route to make it an open conduit on purpose"
                        )
                    }
                } else if let problem = DestinationConfig.kafkaTopicProblem(topic) {
                    reader.fail(topicsNode, f.path(f.has("topic") ? "topic" : "topics"), "'\(topic)' is not a Kafka topic: \(problem)", hint: "a pattern starts with ^")
                }
            }
            let start = reader.choice(f, "start", default: SourceConfig.KafkaSource.Start.latest, allowed: [.earliest, .latest])
            return .kafka(.init(connection: conn.name, topics: topics, start: start))
        case .amqp:
            guard let queue = reader.string(f, "queue", required: true, hint: "the queue to consume") else { return nil }
            if queue.isEmpty || queue.utf8.count > 255 {
                reader.fail(f.entries["queue"], f.path("queue"), "a queue name is 1 to 255 bytes")
            }
            let declare = parseDeclare(reader.optional(f, "declare"), f.path("declare"))
            for (i, binding) in (declare?.bindings ?? []).enumerated() where !allowAll && RouteFileParser.bindingTakesEverything(binding.routingKey) {
                let bindingPath = "\(f.path("declare")).bindings[\(i)].routing_key"
                reader.fail(
                    f.entries["declare"], bindingPath, "the binding '\(binding.routingKey)' takes every message of exchange '\(binding.exchange)'",
                    hint: "bind the routing keys to forward, or set allow_all: true on the route to make it an open conduit on purpose"
                )
            }
            return .amqp(.init(connection: conn.name, queue: queue, declare: declare))
        case .amqp10:
            guard let address = reader.string(f, "address", required: true, hint: "the node to receive from, e.g. /queue/orders (RabbitMQ) or orders") else {
                return nil
            }
            if address.isEmpty {
                reader.fail(f.entries["address"], f.path("address"), "the address is empty", hint: "name the node to receive from, e.g. /queue/orders")
            }
            return .amqp10(.init(connection: conn.name, address: address))
        }
    }

    func parseDeclare(_ node: Node?, _ path: String) -> QueueDeclaration? {
        guard let node, let f = reader.fields(node, path, known: ["durable", "exclusive", "auto_delete", "arguments", "bindings"]) else { return nil }
        for key in ["exclusive", "auto_delete"] where reader.bool(f, key, default: false) {
            reader.fail(
                f.entries[key], f.path(key), "a source queue must not be \(key == "exclusive" ? "exclusive" : "auto-delete")",
                hint: "it would vanish with the connection, and its messages with it; remove \(key) or set it to false"
            )
        }
        let durable = reader.bool(f, "durable", default: true)
        if !durable {
            reader.warnings.append(ConfigWarning(route: nil, message: "\(path): a non-durable queue loses its messages when RabbitMQ restarts"))
        }
        let arguments = parseArguments(reader.optional(f, "arguments"), f.path("arguments"))
        var bindings: [QueueDeclaration.Binding] = []
        if let list = reader.optional(f, "bindings") {
            guard case .sequence(let seq) = list else {
                reader.fail(list, f.path("bindings"), "expected a list of bindings, found \(reader.describe(list))")
                return QueueDeclaration(durable: durable, arguments: arguments, bindings: [])
            }
            for (i, item) in seq.enumerated() {
                let p = "\(f.path("bindings"))[\(i)]"
                guard let b = reader.fields(item, p, known: ["exchange", "routing_key", "arguments"]) else { continue }
                guard let exchange = reader.string(b, "exchange", required: true) else { continue }
                let key = reader.string(b, "routing_key") ?? ""
                bindings.append(.init(exchange: exchange, routingKey: key, arguments: parseArguments(reader.optional(b, "arguments"), b.path("arguments"))))
            }
        }
        return QueueDeclaration(durable: durable, arguments: arguments, bindings: bindings)
    }

    /// Queue and binding arguments: YAML scalars become AMQP values (integers, booleans, text).
    func parseArguments(_ node: Node?, _ path: String) -> Headers {
        guard let node else { return [] }
        guard case .mapping(let mapping) = node else {
            reader.fail(node, path, "expected a mapping of arguments, found \(reader.describe(node))")
            return []
        }
        var headers = Headers()
        for (k, v) in mapping {
            let key = k.scalar?.string ?? ""
            guard case .scalar(let scalar) = v, let text = reader.substitute(scalar.string, v, "\(path).\(key)") else {
                reader.fail(v, "\(path).\(key)", "expected a single value")
                continue
            }
            if scalar.style == .plain, let n = Int64(text) {
                headers.append(key, .int(n))
            } else if scalar.style == .plain, text == "true" || text == "false" {
                headers.append(key, .bool(text == "true"))
            } else {
                headers.append(key, .string(text))
            }
        }
        return headers
    }

    // MARK: to

    func template(_ f: YAMLReader.Fields, _ key: String, required isRequired: Bool, default value: String? = nil) -> Template? {
        guard let text = reader.string(f, key, required: isRequired) ?? value else { return nil }
        do {
            return try Template(text)
        } catch {
            reader.fail(f.entries[key], f.path(key), "template '\(text)': \(error.message)")
            return nil
        }
    }

    func parseDestination(_ node: Node, _ path: String, connections: [ConnectionConfig], route: String) -> DestinationConfig? {
        guard let (conn, f) = connectionFields(node, path, connections: connections, keys: RouteFileParser.destinationKeys, role: "destinations") else {
            return nil
        }
        let target: DestinationConfig.Target
        var usesMessageData = false
        var literalChecks: [(Template, String)] = []
        switch conn.protocol {
        case .amqp:
            guard let exchange = reader.string(f, "exchange", required: true, hint: "the exchange to publish to (\"\" is the default exchange)") else { return nil }
            if exchange.utf8.count > 255 { reader.fail(f.entries["exchange"], f.path("exchange"), "an exchange name is at most 255 bytes") }
            guard let key = template(f, "routing_key", required: false, default: "{topic}") else { return nil }
            usesMessageData = key.usesMessageData
            if let literal = key.literalValue, literal.utf8.count > 255 {
                reader.fail(f.entries["routing_key"], f.path("routing_key"), "a routing key is at most 255 bytes")
            }
            target = .amqp(exchange: exchange, routingKey: key)
        case .kafka:
            guard let topic = template(f, "topic", required: true) else { return nil }
            let key = template(f, "key", required: false)
            usesMessageData = topic.usesMessageData || (key?.usesMessageData ?? false)
            if let literal = topic.literalValue, let problem = DestinationConfig.kafkaTopicProblem(literal) {
                reader.fail(f.entries["topic"], f.path("topic"), "'\(literal)' is not a Kafka topic: \(problem)")
            }
            literalChecks.append((topic, "topic"))
            target = .kafka(topic: topic, key: key)
        case .mqtt:
            guard let topic = template(f, "topic", required: true) else { return nil }
            usesMessageData = topic.usesMessageData
            if let literal = topic.literalValue, TopicFilter.checkTopicName(literal) != nil {
                reader.fail(f.entries["topic"], f.path("topic"), "'\(literal)' is not an MQTT topic name", hint: "a topic to publish to has no '+' or '#'")
            }
            let qos = reader.int(f, "qos", range: 0...2, default: 1)
            if qos == 0 {
                reader.warnings.append(ConfigWarning(route: route, message: "\(path): publishing at QoS 0 is outside the delivery promise (no confirmation)"))
            }
            let retain = reader.bool(f, "retain", default: false)
            let require = reader.bool(f, "require_subscribers", default: false)
            target = .mqtt(topic: topic, qos: qos, retain: retain, requireSubscribers: require)
        case .amqp10:
            guard let address = template(f, "address", required: true) else { return nil }
            if let literal = address.literalValue, literal.isEmpty {
                reader.fail(f.entries["address"], f.path("address"), "the address is empty", hint: "name the node to send to, e.g. /exchange/events/{topic} (RabbitMQ) or orders")
            }
            usesMessageData = address.usesMessageData
            target = .amqp10(address: address)
        }
        var allow: AllowList?
        if let allowNode = reader.optional(f, "allow"), let entries = reader.stringList(allowNode, f.path("allow")) {
            do {
                allow = try AllowList(entries, style: conn.protocol == .mqtt ? .mqtt : .dotted)
                if entries.isEmpty { reader.fail(allowNode, f.path("allow"), "an empty allow list lets nothing through", hint: "list the topic filters or patterns to allow") }
            } catch {
                reader.fail(allowNode, f.path("allow"), "'\(error.entry)': \(error.problem)")
            }
        }
        if usesMessageData, !f.has("allow") {
            reader.fail(
                f.node, f.path("allow"), "the destination is computed from message data ({header.*} or {key}) but has no allow list",
                hint: conn.protocol == .mqtt
                    ? "add allow: [topic filters] that the computed topic must match"
                    : "add allow: [patterns] ('*' one segment, '#' any) that the computed value must match"
            )
        }
        if let allow {
            for (template, key) in literalChecks {
                if let literal = template.literalValue, !allow.allows(literal) {
                    reader.warnings.append(ConfigWarning(route: route, message: "\(f.path(key)) '\(literal)' is not in its allow list: every message will fail with not_allowed"))
                }
            }
        }
        return DestinationConfig(connection: conn.name, target: target, allow: allow)
    }

    // MARK: on_error

    func parseOnError(_ node: Node?, _ path: String, source: SourceConfig?, connections: [ConnectionConfig], route: String) -> OnErrorConfig? {
        var config = OnErrorConfig(attempts: 5, backoff: .milliseconds(100), maxBackoff: .seconds(10), deadLetter: nil, exhausted: .block)
        guard let node else { return config }
        guard let f = reader.fields(node, path, known: ["retry", "dead_letter", "exhausted"]) else { return nil }
        if let retryNode = reader.optional(f, "retry"), let r = reader.fields(retryNode, f.path("retry"), known: ["attempts", "backoff", "max_backoff"]) {
            config.attempts = reader.int(r, "attempts", range: 1...1_000_000, default: config.attempts)
            config.backoff = reader.duration(r, "backoff", default: config.backoff, min: .milliseconds(1))
            config.maxBackoff = reader.duration(r, "max_backoff", default: config.maxBackoff, min: .milliseconds(1))
            if config.maxBackoff < config.backoff {
                reader.fail(r.entries["max_backoff"] ?? retryNode, r.path("max_backoff"), "max_backoff is below backoff", hint: "max_backoff must be at least backoff")
            }
        }
        if let dl = reader.optional(f, "dead_letter") {
            config.deadLetter = parseDestination(dl, f.path("dead_letter"), connections: connections, route: route)
        }
        config.exhausted = config.deadLetter != nil || f.has("dead_letter") ? .deadLetter : .block
        if let exNode = reader.optional(f, "exhausted"), let text = reader.string(exNode, f.path("exhausted")) {
            if let ex = OnErrorConfig.Exhausted(rawValue: text) {
                config.exhausted = ex
                if ex == .deadLetter, !f.has("dead_letter") {
                    reader.fail(exNode, f.path("exhausted"), "exhausted is dead_letter but no dead_letter is configured", hint: "add on_error.dead_letter, or use block, reject or drop")
                }
                if ex == .reject, let source, source.connectionProtocol(connections).map({ $0 != .amqp && $0 != .amqp10 }) ?? false {
                    reader.fail(exNode, f.path("exhausted"), "reject applies to AMQP sources only", hint: "use dead_letter, block or drop")
                }
                if ex != .deadLetter, f.has("dead_letter") {
                    reader.warnings.append(ConfigWarning(route: route, message: "\(f.path("exhausted")) is \(ex.rawValue): the dead_letter is never used"))
                }
            } else {
                reader.fail(exNode, f.path("exhausted"), "'\(text)' is not an exhausted policy", hint: "use one of: dead_letter, block, reject, drop")
            }
        }
        return config
    }
}

extension SourceConfig {
    func connectionProtocol(_ connections: [ConnectionConfig]) -> BridgeProtocol? {
        connections.first { $0.name == connection }?.protocol
    }
}
