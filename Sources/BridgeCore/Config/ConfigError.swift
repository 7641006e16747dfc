/// One problem in a route file: where it is, which key, what is wrong and what would be right.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line and column, when YAML gives one.
    public var line: Int?
    public var column: Int?
    /// The key path, e.g. `routes[2].to[0].exchange`; empty for the file as a whole.
    public var path: String
    /// What is wrong.
    public var message: String
    /// What would be right, when there is something to say.
    public var hint: String?

    public init(file: String, line: Int?, column: Int?, path: String, message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
        self.hint = hint
    }

    /// `file:line:column: path: message (hint)`.
    public var description: String {
        var s = file
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        }
        s += ": "
        if !path.isEmpty { s += "\(path): " }
        s += message
        if let hint { s += "; \(hint)" }
        return s
    }
}

/// Every error of a file, reported together.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) { self.errors = errors }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}

/// Something valid but risky, printed by `check` as `warning: route <name>: ...`.
public struct ConfigWarning: Sendable, Hashable, CustomStringConvertible {
    public var route: String?
    public var message: String

    public init(route: String?, message: String) {
        self.route = route
        self.message = message
    }

    public var description: String {
        if let route { return "warning: route \(route): \(message)" }
        return "warning: \(message)"
    }
}
