/// A header value as the protocols carry it.
///
/// AMQP 0-9-1 field tables are typed (numbers, booleans, timestamps, nested tables and
/// arrays); MQTT user properties and Kafka headers are text or bytes. The envelope keeps
/// the richest form it received, and ``text`` turns it into the text form that text-only
/// destinations carry (CONTRACT section 4, "Type rules").
public indirect enum HeaderValue: Sendable, Hashable {
    case string(String)
    case bytes([UInt8])
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// AMQP decimal: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: Int32)
    /// Seconds since the Unix epoch (AMQP timestamp).
    case timestamp(Int64)
    case table(Headers)
    case array([HeaderValue])
    case null

    /// The value as text for a text-only destination, or nil when it has none
    /// (bytes that are not valid UTF-8).
    ///
    /// Numbers and booleans become their decimal text, timestamps ISO 8601, tables and
    /// arrays compact JSON.
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return String(validating: b, as: UTF8.self)
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d): return HeaderValue.format(d)
        case .decimal(let scale, let value): return HeaderValue.formatDecimal(scale: scale, value: value)
        case .timestamp(let seconds): return ISO8601.format(secondsSinceEpoch: seconds)
        case .table, .array, .null:
            var out = ""
            self.writeJSON(into: &out)
            return out
        }
    }

    /// Compact JSON for nested values (tables become objects, arrays arrays).
    func writeJSON(into out: inout String) {
        switch self {
        case .string(let s): JSON.writeString(s, into: &out)
        case .bytes(let b):
            if let s = String(validating: b, as: UTF8.self) { JSON.writeString(s, into: &out) } else { out += "null" }
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d): out += d.isFinite ? HeaderValue.format(d) : "null"
        case .decimal(let scale, let value): out += HeaderValue.formatDecimal(scale: scale, value: value)
        case .timestamp(let seconds): JSON.writeString(ISO8601.format(secondsSinceEpoch: seconds), into: &out)
        case .null: out += "null"
        case .array(let values):
            out += "["
            for (i, v) in values.enumerated() {
                if i > 0 { out += "," }
                v.writeJSON(into: &out)
            }
            out += "]"
        case .table(let headers):
            out += "{"
            for (i, field) in headers.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(field.name, into: &out)
                out += ":"
                field.value.writeJSON(into: &out)
            }
            out += "}"
        }
    }

    static func format(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return String(d)
    }

    static func formatDecimal(scale: UInt8, value: Int32) -> String {
        guard scale > 0 else { return String(value) }
        let negative = value < 0
        var digits = String(value.magnitude)
        let s = Int(scale)
        if digits.count <= s { digits = String(repeating: "0", count: s - digits.count + 1) + digits }
        let split = digits.index(digits.endIndex, offsetBy: -s)
        return (negative ? "-" : "") + digits[..<split] + "." + digits[split...]
    }
}

/// Minimal JSON string writing, shared by header text conversion and the HTTP endpoints.
public enum JSON {
    /// Appends `s` as a quoted JSON string with the required escapes.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `s` as a quoted JSON string.
    public static func quoted(_ s: String) -> String {
        var out = ""
        writeString(s, into: &out)
        return out
    }
}

/// ISO 8601 (UTC, `Z`) formatting without Foundation's formatters.
public enum ISO8601 {
    /// Formats seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(secondsSinceEpoch t: Int64) -> String {
        var days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        func pad(_ v: Int64, _ n: Int) -> String {
            let s = String(v)
            return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secs / 3600, 2)):\(pad(secs % 3600 / 60, 2)):\(pad(secs % 60, 2))Z"
    }
}
