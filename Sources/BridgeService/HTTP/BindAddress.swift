/// Where the HTTP endpoint listens: a host (an IPv4 or IPv6 literal, or a name) and a port.
///
/// Parsed from the `bridge.http` setting: `127.0.0.1:9464`, `0.0.0.0:9464`, `[::1]:9464`,
/// `localhost:9464`. An IPv6 literal must be in brackets, because its colons would make
/// the port ambiguous. Port 0 asks the kernel for a free port (tests use it).
public struct BindAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets: `127.0.0.1`, `::1`, `localhost`.
    public var host: String
    /// The TCP port, 0...65535.
    public var port: Int

    /// The contract's default: loopback only, port 9464.
    public static let `default` = BindAddress(host: "127.0.0.1", port: 9464)

    /// - Parameters:
    ///   - host: A host without brackets.
    ///   - port: A TCP port, 0...65535.
    public init(host: String, port: Int) {
        precondition((0...65535).contains(port), "port \(port) is outside 0...65535")
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`.
    ///
    /// - Parameter text: The setting, with surrounding whitespace allowed.
    /// - Throws: ``ParseError`` naming what is wrong and what would be right.
    public init(parsing text: String) throws(ParseError) {
        let text = text.trimmingWhitespace()
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(input: text, problem: "an IPv6 address opened with '[' is not closed with ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                throw ParseError(input: text, problem: "expected ':' and a port after ']'")
            }
            portText = rest.dropFirst()
            guard host.contains(":") else {
                throw ParseError(input: text, problem: "brackets are only for IPv6 addresses")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ParseError(input: text, problem: "no port")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ParseError(input: text, problem: "an IPv6 address must be written in brackets")
            }
        }
        guard !host.isEmpty else {
            throw ParseError(input: text, problem: "no host")
        }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:%".contains($0)) }) else {
            throw ParseError(
                input: text,
                problem: "the host '\(host)' has characters a host name or address cannot have"
            )
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65535
        else {
            throw ParseError(input: text, problem: "the port '\(portText)' is not a number in 0...65535")
        }
        self.init(host: String(host), port: port)
    }

    /// Parses the whole `bridge.http` setting: `off` (any case) disables the endpoint.
    ///
    /// - Parameter setting: `off`, `host:port` or `[ipv6]:port`.
    /// - Returns: `nil` for `off`, else the address.
    public static func parseSetting(_ setting: String) throws(ParseError) -> BindAddress? {
        if setting.trimmingWhitespace().lowercased() == "off" {
            return nil
        }
        return try BindAddress(parsing: setting)
    }

    /// `host:port`, with brackets around an IPv6 host: the form ``init(parsing:)`` reads.
    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    /// Why a bind address could not be parsed.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The text that was parsed.
        public var input: String
        /// What is wrong with it.
        public var problem: String

        public var description: String {
            "invalid listen address '\(self.input)': \(self.problem); expected host:port such as "
                + "127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464, or off"
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = self.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else {
            return ""
        }
        return String(scalars[first...last])
    }
}
