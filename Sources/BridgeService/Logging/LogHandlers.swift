import BridgeCore
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log lines on stdout, one write per line: JSON objects
/// (`{"ts":…,"level":…,"label":…,"msg":…,<metadata>}`) or text
/// (`2026-11-29T23:54:22.123Z info label: message key=value`).
public struct LineLogHandler: LogHandler {
    public enum Format: Sendable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let format: Format
    let standardError: Bool

    /// - Parameters:
    ///   - standardError: Write to stderr instead of stdout (`check`, whose stdout is the report).
    public init(label: String, level: Logger.Level, format: Format, standardError: Bool = false) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.standardError = standardError
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.sorted { $0.key < $1.key }
        var line: String
        switch format {
        case .json:
            line = "{\"ts\":"
            JSON.writeString(Self.timestamp(), into: &line)
            line += ",\"level\":\"\(event.level.rawValue)\",\"label\":"
            JSON.writeString(label, into: &line)
            line += ",\"msg\":"
            JSON.writeString(event.message.description, into: &line)
            for (key, value) in fields {
                line += ","
                JSON.writeString(key, into: &line)
                line += ":"
                JSON.writeString(value.description, into: &line)
            }
            line += "}"
        case .text:
            line = "\(Self.timestamp()) \(event.level.rawValue) \(label): \(event.message)"
            for (key, value) in fields { line += " \(key)=\(value)" }
        }
        if standardError { StandardOutput.error(line + "\n") } else { StandardOutput.write(line + "\n") }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let base = ISO8601.format(secondsSinceEpoch: Int64(ts.tv_sec))
        let millis = Int(ts.tv_nsec) / 1_000_000
        let m = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return String(base.dropLast()) + ".\(m)Z"
    }
}

/// Unbuffered writes to stdout and stderr, one call per line so lines never interleave.
public enum StandardOutput {
    public static func write(_ text: String) { write(text, to: 1) }
    public static func error(_ text: String) { write(text, to: 2) }

    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #else
                let n = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #endif
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
