import NIOCore
import Yams

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A valid configuration and the warnings `check` prints.
public struct LoadedConfig: Sendable {
    public var config: BridgeConfig
    public var warnings: [ConfigWarning]
}

/// Reads and validates a route file (CONTRACT section 3), reporting every error of the file
/// together, each with file, line, column and key path.
public struct ConfigLoader: Sendable {
    /// Replaces `${VAR}` references.
    public var environment: [String: String]
    /// The default `bridge.instance`: the host name.
    public var hostname: String
    /// The protocols this build has adapters for; others are a config error.
    public var implementedProtocols: Set<BridgeProtocol>
    /// Reads a file (the route file and `*_file` secrets); injectable for tests.
    public var readFile: @Sendable (String) throws -> String

    public init(
        environment: [String: String],
        hostname: String,
        implementedProtocols: Set<BridgeProtocol> = [.mqtt, .kafka, .amqp, .amqp10],
        readFile: @escaping @Sendable (String) throws -> String = ConfigLoader.readTextFile
    ) {
        self.environment = environment
        self.hostname = hostname
        self.implementedProtocols = implementedProtocols
        self.readFile = readFile
    }

    /// Reads a UTF-8 text file.
    public static func readTextFile(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, column: nil, path: "", message: "the file is not UTF-8 text")
        }
        return text
    }

    /// Loads the route file at `path`.
    public func load(path: String) -> Result<LoadedConfig, ConfigErrors> {
        let text: String
        do {
            text = try readFile(path)
        } catch {
            return .failure(ConfigErrors([ConfigError(file: path, line: nil, column: nil, path: "", message: "cannot read the file: \(error)")]))
        }
        return parse(yaml: text, file: path)
    }

    /// Parses route-file text; `file` names it in errors and anchors relative `*_file` paths.
    public func parse(yaml text: String, file: String) -> Result<LoadedConfig, ConfigErrors> {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return .failure(ConfigErrors([ConfigLoader.yamlError(error, file: file)]))
        } catch {
            return .failure(ConfigErrors([ConfigError(file: file, line: nil, column: nil, path: "", message: "not valid YAML: \(error)")]))
        }
        guard let root else {
            return .failure(ConfigErrors([ConfigError(file: file, line: nil, column: nil, path: "", message: "the file is empty", hint: "start with 'version: 1'")]))
        }
        let parser = RouteFileParser(loader: self, reader: YAMLReader(file: file, environment: environment), file: file)
        let config = parser.parse(root)
        if let config, parser.reader.errors.isEmpty {
            return .success(LoadedConfig(config: config, warnings: parser.reader.warnings))
        }
        return .failure(ConfigErrors(parser.reader.errors))
    }

    static func yamlError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, path: "", message: "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                file: file, line: context.mark.line, column: context.mark.column, path: "",
                message: "duplicate key(s) \(duplicates.joined(separator: ", ")) in one mapping", hint: "each key may appear once"
            )
        default:
            return ConfigError(file: file, line: nil, column: nil, path: "", message: "not valid YAML: \(error)")
        }
    }
}

/// One pass over one route file.
final class RouteFileParser {
    let loader: ConfigLoader
    let reader: YAMLReader
    let file: String
    /// The folder of the route file: relative `*_file` paths are read from there.
    let baseDirectory: String

    init(loader: ConfigLoader, reader: YAMLReader, file: String) {
        self.loader = loader
        self.reader = reader
        self.file = file
        if let slash = file.lastIndex(of: "/") {
            self.baseDirectory = String(file[..<slash])
        } else {
            self.baseDirectory = "."
        }
    }

    static let namePattern = "[a-z0-9_.-]+"

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    static func isValidClientIDPart(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-") }
    }

    func parse(_ root: Node) -> BridgeConfig? {
        guard let top = reader.fields(root, "", known: ["version", "bridge", "connections", "routes"]) else { return nil }
        if let versionNode = reader.required(top, "version", hint: "start the file with 'version: 1'") {
            if let v = reader.string(versionNode, "version"), v != "1" {
                reader.fail(versionNode, "version", "version '\(v)' is not supported", hint: "this build reads version 1")
            }
        }
        let bridge = parseBridge(reader.optional(top, "bridge"))
        var connections = parseConnections(reader.required(top, "connections"))
        for i in connections.indices {
            if case .mqtt(var m) = connections[i].settings, m.clientID.isEmpty {
                m.clientID = bridge.name
                connections[i].settings = .mqtt(m)
            }
            if case .kafka(var k) = connections[i].settings, k.groupID.isEmpty {
                k.groupID = bridge.name
                connections[i].settings = .kafka(k)
            }
        }
        checkMQTTClientIDs(connections, top.entries["connections"])
        let routes = parseRoutes(reader.required(top, "routes"), bridge: bridge, connections: connections)
        return BridgeConfig(file: file, bridge: bridge, connections: connections, routes: routes)
    }

    /// Two MQTT connections that reach one broker with one client id would both publish as
    /// `<client_id>-<instance>-pub`: the broker would hand that session back and forth between
    /// them for ever, each takeover disconnecting the other with its publishes in flight.
    func checkMQTTClientIDs(_ connections: [ConnectionConfig], _ node: Node?) {
        func endpoints(_ m: MQTTConnectionSettings) -> Set<String> {
            Set(m.urls.map { "\($0.host.lowercased()):\($0.port)" })
        }
        func settingsNode(_ name: String) -> (key: Node?, clientID: Node?) {
            guard case .mapping(let mapping)? = node else { return (nil, nil) }
            for (key, value) in mapping where key.scalar?.string == name {
                if case .mapping(let fields) = value { return (key, fields["client_id"]) }
                return (key, nil)
            }
            return (nil, nil)
        }
        var earlier: [(name: String, settings: MQTTConnectionSettings)] = []
        for connection in connections {
            guard case .mqtt(let m) = connection.settings else { continue }
            if let other = earlier.first(where: { $0.settings.clientID == m.clientID && !endpoints($0.settings).isDisjoint(with: endpoints(m)) }) {
                let nodes = settingsNode(connection.name)
                let shared = endpoints(m).intersection(endpoints(other.settings)).sorted().joined(separator: ", ")
                reader.fail(
                    nodes.clientID ?? nodes.key, "connections.\(connection.name).client_id",
                    "connections '\(other.name)' and '\(connection.name)' reach the same broker (\(shared)) with client id '\(m.clientID)': their publishing clients would take each other's session over",
                    hint: "set a different client_id on one of them"
                )
            }
            earlier.append((connection.name, m))
        }
    }

    // MARK: bridge

    func parseBridge(_ node: Node?) -> BridgeSettings {
        var settings = BridgeSettings(
            name: "message-bridge", instance: loader.hostname, http: HostPort(host: "127.0.0.1", port: 9464), httpToken: nil,
            shutdownTimeout: .seconds(20), maxInFlight: 1024, maxMessageSize: 1_000_000, maxHops: 8
        )
        guard
            let node,
            let f = reader.fields(
                node, "bridge",
                known: ["name", "instance", "http", "http_token_file", "shutdown_timeout", "max_in_flight", "max_message_size", "max_hops"]
            )
        else { return settings }
        if let name = reader.string(f, "name") {
            if RouteFileParser.isValidClientIDPart(name) {
                settings.name = name
            } else {
                reader.fail(f.entries["name"], f.path("name"), "'\(name)' cannot be part of an MQTT client id", hint: "use letters, digits, '.', '_' and '-'")
            }
        }
        if let instance = reader.string(f, "instance") {
            if RouteFileParser.isValidClientIDPart(instance) {
                settings.instance = instance
            } else {
                reader.fail(f.entries["instance"], f.path("instance"), "'\(instance)' cannot be part of an MQTT client id", hint: "use letters, digits, '.', '_' and '-'")
            }
        }
        if let http = reader.string(f, "http") {
            if http == "off" {
                settings.http = nil
            } else if let hp = HostPort(parsing: http) {
                settings.http = hp
            } else {
                reader.fail(f.entries["http"], f.path("http"), "'\(http)' is not host:port", hint: "write e.g. 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464 or off")
            }
        }
        if let tokenFile = reader.string(f, "http_token_file") {
            if let token = readSecret(tokenFile, f.entries["http_token_file"], f.path("http_token_file")) {
                settings.httpToken = token
            }
        }
        settings.shutdownTimeout = reader.duration(f, "shutdown_timeout", default: settings.shutdownTimeout)
        settings.maxInFlight = reader.int(f, "max_in_flight", range: 1...65535, default: settings.maxInFlight)
        settings.maxMessageSize = reader.size(f, "max_message_size", default: settings.maxMessageSize)
        settings.maxHops = reader.int(f, "max_hops", range: 1...255, default: settings.maxHops)
        return settings
    }

    /// Reads a secret from a file (relative to the route file), without its trailing newline.
    func readSecret(_ path: String, _ node: Node?, _ keyPath: String) -> Secret? {
        let full = path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
        do {
            var text = try loader.readFile(full)
            while text.last == "\n" || text.last == "\r" { text.removeLast() }
            guard !text.isEmpty else {
                reader.fail(node, keyPath, "the file '\(full)' is empty", hint: "put the secret in it")
                return nil
            }
            return Secret(text)
        } catch {
            reader.fail(node, keyPath, "cannot read '\(full)'", hint: "check that the file exists and is readable")
            return nil
        }
    }

    /// Checks that a file named by a key exists and can be read.
    func checkReadable(_ path: String, _ node: Node?, _ keyPath: String) -> String {
        let full = path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
        do {
            _ = try loader.readFile(full)
        } catch {
            reader.fail(node, keyPath, "cannot read '\(full)'", hint: "check that the file exists and is readable")
        }
        return full
    }
}
