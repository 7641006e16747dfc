#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The version `--version` prints.
public enum BridgeVersion {
    public static let current = "0.1.0"
}

/// The process environment, as the route file's `${VAR}` sees it.
public enum Environment {
    /// One variable.
    public static func get(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Every variable, plus `HOSTNAME` from the system when the shell did not export it
    /// (bash sets HOSTNAME without exporting it, and `instance: ${HOSTNAME}` is the documented default).
    public static func withHostname() -> [String: String] {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                env[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        if env["HOSTNAME"] == nil { env["HOSTNAME"] = hostname() }
        return env
    }

    /// The host name, as `gethostname` reports it.
    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(cString: buffer)
    }
}
