import NIOCore

/// A route file after parsing, substitution and validation (CONTRACT section 3).
public struct BridgeConfig: Sendable {
    public var file: String
    public var bridge: BridgeSettings
    /// Connections in file order.
    public var connections: [ConnectionConfig]
    public var routes: [RouteConfig]

    /// The connection named `name`.
    public func connection(_ name: String) -> ConnectionConfig? {
        connections.first { $0.name == name }
    }
}

/// The `bridge:` section.
public struct BridgeSettings: Sendable {
    public var name: String
    public var instance: String
    /// Where `/metrics`, `/healthz` and `/readyz` listen; nil when `http: off`.
    public var http: HostPort?
    /// The bearer token `/metrics` requires, read from `http_token_file`.
    public var httpToken: Secret?
    public var shutdownTimeout: TimeAmount
    public var maxInFlight: Int
    public var maxMessageSize: Int
    public var maxHops: Int
}

/// `host:port`, as `bridge.http` and Kafka's bootstrap servers write it.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:9464`, `0.0.0.0:9464`, `[::1]:9464`, `localhost:9464`.
    public init?(parsing text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (0...65535).contains(port), !host.isEmpty else { return nil }
            self.init(host: host, port: port)
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            let host = String(text[..<colon])
            guard !host.isEmpty, !host.contains(":"), let port = Int(text[text.index(after: colon)...]),
                (0...65535).contains(port)
            else { return nil }
            self.init(host: host, port: port)
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A secret value: never printed, never logged.
public struct Secret: Sendable, Hashable, CustomStringConvertible {
    public var value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "***" }
}

/// A broker URL from `url:` or `urls:` (`mqtt://`, `mqtts://`, `amqp://`, `amqps://`).
public struct BrokerURL: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    public var username: String?
    public var password: Secret?
    /// The path after the authority, percent-decoded (AMQP: the vhost).
    public var path: String?

    /// True for `mqtts` and `amqps`.
    public var tls: Bool { scheme.hasSuffix("s") }

    /// The URL with the password replaced by `***`.
    public var description: String {
        var s = "\(scheme)://"
        if let username {
            s += username
            if password != nil { s += ":***" }
            s += "@"
        }
        s += host.contains(":") ? "[\(host)]" : host
        s += ":\(port)"
        if let path { s += "/" + BrokerURL.percentEncode(path) }
        return s
    }

    /// Parses `scheme://[user[:password]@]host[:port][/path]`; `defaultPorts` maps scheme to port.
    public static func parse(_ text: String, defaultPorts: [String: Int]) -> Result<BrokerURL, URLProblem> {
        guard let schemeEnd = text.firstRange(of: "://") else { return .failure(.noScheme) }
        let scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        guard let defaultPort = defaultPorts[scheme] else { return .failure(.scheme(scheme)) }
        var rest = Substring(text[schemeEnd.upperBound...])
        var path: String?
        if let slash = rest.firstIndex(of: "/") {
            let raw = String(rest[rest.index(after: slash)...])
            guard let decoded = percentDecode(raw) else { return .failure(.encoding) }
            path = decoded
            rest = rest[..<slash]
        }
        var username: String?
        var password: Secret?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                guard let u = percentDecode(String(userinfo[..<colon])), let p = percentDecode(String(userinfo[userinfo.index(after: colon)...])) else {
                    return .failure(.encoding)
                }
                username = u
                password = Secret(p)
            } else {
                guard let u = percentDecode(String(userinfo)) else { return .failure(.encoding) }
                username = u
            }
        }
        var host: String
        var port = defaultPort
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return .failure(.host) }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else { return .failure(.port) }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return .failure(.port) }
            port = p
        } else {
            host = String(rest)
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return .failure(.host) }
        return .success(BrokerURL(scheme: scheme, host: host, port: port, username: username, password: password, path: path))
    }

    /// What is wrong with a URL.
    public enum URLProblem: Error, Sendable {
        case noScheme, scheme(String), host, port, encoding
    }

    static func percentDecode(_ s: String) -> String? {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) {
                out.append(c)
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// TLS settings of a connection.
public struct TLSSettings: Sendable, Hashable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    public var verify: Bool
    public var serverName: String?
}

/// `reconnect: { initial, max }`.
public struct ReconnectSettings: Sendable, Hashable {
    public var initial: TimeAmount
    public var max: TimeAmount

    public static let `default` = ReconnectSettings(initial: .seconds(1), max: .seconds(30))

    /// The wait before the next attempt: `initial × 2^failures`, at most `max`, times `jitter`
    /// (callers pass a random factor in 0.5...1).
    public func delay(afterFailures failures: Int, jitter: Double) -> TimeAmount {
        let base = Double(initial.nanoseconds) * Double(1 << min(failures, 30))
        let capped = min(base, Double(max.nanoseconds))
        return .nanoseconds(Int64(capped * jitter))
    }
}

/// One entry of `connections:`.
public struct ConnectionConfig: Sendable {
    public var name: String
    public var settings: Settings

    public var `protocol`: BridgeProtocol {
        switch settings {
        case .mqtt: return .mqtt
        case .kafka: return .kafka
        case .amqp: return .amqp
        case .amqp10: return .amqp10
        }
    }

    public enum Settings: Sendable {
        case mqtt(MQTTConnectionSettings)
        case kafka(KafkaConnectionSettings)
        case amqp(AMQPConnectionSettings)
        case amqp10(AMQP10ConnectionSettings)
    }
}

public struct MQTTConnectionSettings: Sendable {
    public enum Version: String, Sendable { case v5 = "5", v311 = "3.1.1" }
    public var urls: [BrokerURL]
    public var version: Version
    /// The client id prefix; the bridge appends `-<instance>-<route>` per source route and `-<instance>-pub`.
    public var clientID: String
    public var sessionExpiry: TimeAmount
    public var keepalive: TimeAmount
    public var username: String?
    public var password: Secret?
    public var tls: TLSSettings?
    public var reconnect: ReconnectSettings
}

public struct KafkaConnectionSettings: Sendable {
    public var bootstrapServers: [String]
    public var groupID: String
    /// Passed to librdkafka as-is, in file order.
    public var properties: [(key: String, value: String)]

    /// Whether a librdkafka property holds a secret (redacted in `check` and logs).
    public static func isSecretProperty(_ key: String) -> Bool {
        let k = key.lowercased()
        return k.contains("password") || k.contains("secret") || k.hasSuffix(".key.pem") || k.contains("sasl.oauthbearer.config")
            || k.hasSuffix("token")
    }
}

public struct AMQPConnectionSettings: Sendable {
    public enum Prefetch: Sendable, Hashable { case auto, count(Int) }
    public var urls: [BrokerURL]
    public var heartbeat: TimeAmount
    public var prefetch: Prefetch
    public var tls: TLSSettings?
    public var reconnect: ReconnectSettings

    /// The vhost of a URL: its path, `/` when it has none.
    public static func vhost(of url: BrokerURL) -> String {
        guard let path = url.path, !path.isEmpty else { return "/" }
        return path
    }
}

public struct AMQP10ConnectionSettings: Sendable {
    public var urls: [BrokerURL]
    public var idleTimeout: TimeAmount
    public var tls: TLSSettings?
    public var reconnect: ReconnectSettings
}
