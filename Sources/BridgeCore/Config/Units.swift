import NIOCore

/// Parsing of the route file's durations (`250ms`, `10s`, `5m`, `1h`) and sizes
/// (`512KB`, `1MB` in powers of ten; `512KiB`, `1MiB` in powers of two).
public enum Units {
    /// Parses a duration; nil when the text is not one.
    public static func duration(_ text: String) -> TimeAmount? {
        let t = text.trimmingSpaces
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        for (suffix, nanos) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count)
            // "ms" also ends in "s": only accept digits before the suffix.
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), let n = Int64(number) else { continue }
            let (product, overflow) = n.multipliedReportingOverflow(by: nanos)
            return overflow ? nil : .nanoseconds(product)
        }
        return nil
    }

    /// Parses a size in bytes; nil when the text is not one.
    public static func size(_ text: String) -> Int? {
        let t = text.trimmingSpaces
        let units: [(String, Int)] = [
            ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024),
            ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        if !t.isEmpty, t.allSatisfy(\.isASCIIDigit) { return Int(t) }
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), let n = Int(number) else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        return nil
    }

    /// `TimeAmount` as the route file writes it (`250ms`, `10s`, `5m`, `1h`).
    public static func format(_ amount: TimeAmount) -> String {
        let n = amount.nanoseconds
        if n % 3_600_000_000_000 == 0, n != 0 { return "\(n / 3_600_000_000_000)h" }
        if n % 60_000_000_000 == 0, n != 0 { return "\(n / 60_000_000_000)m" }
        if n % 1_000_000_000 == 0 { return "\(n / 1_000_000_000)s" }
        if n % 1_000_000 == 0 { return "\(n / 1_000_000)ms" }
        return "\(n)ns"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
