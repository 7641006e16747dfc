import NIOCore
import Yams

/// Walks a composed YAML document, collecting every problem with its line, column and key
/// path instead of stopping at the first one.
final class YAMLReader {
    let file: String
    private(set) var errors: [ConfigError] = []
    var warnings: [ConfigWarning] = []
    let environment: [String: String]

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    /// Records an error at `node` (or at `fallback` when the node has no mark).
    func fail(_ node: Node?, _ path: String, _ message: String, hint: String? = nil, at fallback: Mark? = nil) {
        let mark = node?.mark ?? fallback
        errors.append(ConfigError(file: file, line: mark?.line, column: mark?.column, path: path, message: message, hint: hint))
    }

    /// A mapping's entries by key, with the mapping's path and mark for errors about missing keys.
    struct Fields {
        let path: String
        let node: Node
        var entries: [String: Node]
        /// The node of each key, for errors about the key itself.
        var keyNodes: [String: Node]

        func has(_ key: String) -> Bool { entries[key] != nil }
        func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    /// Reads `node` as a mapping, reporting a non-mapping and every key not in `known`
    /// (with the closest known key as a suggestion).
    func fields(_ node: Node?, _ path: String, known: [String], context: String? = nil) -> Fields? {
        guard let node else { return nil }
        guard case .mapping(let mapping) = node else {
            fail(node, path, "expected a mapping of keys (\(known.prefix(4).joined(separator: ", "))…), found \(describe(node))")
            return nil
        }
        var entries: [String: Node] = [:]
        var keyNodes: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                fail(keyNode, path, "keys must be plain text")
                continue
            }
            let key = scalar.string
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard known.contains(key) else {
                let suggestion = YAMLReader.closest(to: key, in: known)
                let what = context.map { " for \($0)" } ?? ""
                fail(
                    keyNode, keyPath, "unknown key '\(key)'\(what)",
                    hint: suggestion.map { "did you mean '\($0)'?" } ?? "known keys: \(known.joined(separator: ", "))"
                )
                continue
            }
            entries[key] = value
            keyNodes[key] = keyNode
        }
        return Fields(path: path, node: node, entries: entries, keyNodes: keyNodes)
    }

    /// Reads a required key; reports it missing at the mapping's mark.
    func required(_ f: Fields, _ key: String, hint: String? = nil) -> Node? {
        if let node = f.entries[key], !isNull(node) { return node }
        fail(f.node, f.path(key), "required key '\(key)' is missing", hint: hint)
        return nil
    }

    /// The value of an optional key, nil when absent or null.
    func optional(_ f: Fields, _ key: String) -> Node? {
        guard let node = f.entries[key], !isNull(node) else { return nil }
        return node
    }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { return false }
        return s.string.isEmpty || s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Scalars

    /// A scalar as text with `${VAR}` / `${VAR:-default}` replaced from the environment.
    func string(_ node: Node?, _ path: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else {
            fail(node, path, "expected a single value, found \(describe(node))")
            return nil
        }
        return substitute(scalar.string, node, path)
    }

    func string(_ f: Fields, _ key: String, required isRequired: Bool = false, hint: String? = nil) -> String? {
        let node = isRequired ? required(f, key, hint: hint) : optional(f, key)
        return string(node, f.path(key))
    }

    /// Replaces `${VAR}` and `${VAR:-default}` (the default may hold references too);
    /// an unset variable without default is an error.
    func substitute(_ text: String, _ node: Node, _ path: String) -> String? {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        var ok = true
        while let start = rest.firstRange(of: "${") {
            out += rest[..<start.lowerBound]
            guard let close = YAMLReader.matchingBrace(in: rest, from: start.upperBound) else {
                fail(node, path, "'${' is not closed", hint: "write ${VAR} or ${VAR:-default}")
                return nil
            }
            let inner = rest[start.upperBound..<close]
            let name: Substring
            let fallback: Substring?
            if let sep = inner.firstRange(of: ":-") {
                name = inner[..<sep.lowerBound]
                fallback = inner[sep.upperBound...]
            } else {
                name = inner
                fallback = nil
            }
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                fail(node, path, "'${\(inner)}' is not a variable reference", hint: "write ${VAR} or ${VAR:-default} with VAR of letters, digits and _")
                ok = false
            } else if let value = environment[String(name)] {
                out += value
            } else if let fallback {
                if let value = substitute(String(fallback), node, path) { out += value } else { ok = false }
            } else {
                fail(node, path, "environment variable \(name) is not set", hint: "set it, or write ${\(name):-default}")
                ok = false
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return ok ? out : nil
    }

    /// The `}` that closes a `${` whose body starts at `from`, counting nested `${…}`.
    static func matchingBrace(in text: Substring, from: Substring.Index) -> Substring.Index? {
        var depth = 1
        var i = from
        while i < text.endIndex {
            if text[i] == "$", text.index(after: i) < text.endIndex, text[text.index(after: i)] == "{" {
                depth += 1
                i = text.index(i, offsetBy: 2)
                continue
            }
            if text[i] == "}" {
                depth -= 1
                if depth == 0 { return i }
            }
            i = text.index(after: i)
        }
        return nil
    }

    func int(_ f: Fields, _ key: String, range: ClosedRange<Int>, default value: Int) -> Int {
        guard let node = optional(f, key), let text = string(node, f.path(key)) else { return value }
        guard let n = Int(text.trimmingSpaces) else {
            fail(node, f.path(key), "'\(text)' is not a whole number", hint: "use a number from \(range.lowerBound) to \(range.upperBound)")
            return value
        }
        guard range.contains(n) else {
            fail(node, f.path(key), "\(n) is out of range", hint: "use a number from \(range.lowerBound) to \(range.upperBound)")
            return value
        }
        return n
    }

    func bool(_ f: Fields, _ key: String, default value: Bool) -> Bool {
        guard let node = optional(f, key), let text = string(node, f.path(key)) else { return value }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            fail(node, f.path(key), "'\(text)' is not a boolean", hint: "use true or false")
            return value
        }
    }

    func duration(_ f: Fields, _ key: String, default value: TimeAmount, min: TimeAmount = .nanoseconds(0)) -> TimeAmount {
        guard let node = optional(f, key), let text = string(node, f.path(key)) else { return value }
        guard let d = Units.duration(text) else {
            fail(node, f.path(key), "'\(text)' is not a duration", hint: "write a number with ms, s, m or h, e.g. 250ms, 10s, 5m, 1h")
            return value
        }
        guard d >= min else {
            fail(node, f.path(key), "'\(text)' is too short", hint: "use at least \(Units.format(min))")
            return value
        }
        return d
    }

    func size(_ f: Fields, _ key: String, default value: Int) -> Int {
        guard let node = optional(f, key), let text = string(node, f.path(key)) else { return value }
        guard let n = Units.size(text), n > 0 else {
            fail(node, f.path(key), "'\(text)' is not a size", hint: "write e.g. 512KB, 1MB (powers of ten) or 512KiB, 1MiB (powers of two)")
            return value
        }
        return n
    }

    func choice<T: RawRepresentable>(_ f: Fields, _ key: String, default value: T, allowed: [T]) -> T where T.RawValue == String {
        guard let node = optional(f, key), let text = string(node, f.path(key)) else { return value }
        guard let v = T(rawValue: text), allowed.contains(where: { $0.rawValue == v.rawValue }) else {
            fail(node, f.path(key), "'\(text)' is not allowed here", hint: "use one of: \(allowed.map(\.rawValue).joined(separator: ", "))")
            return value
        }
        return v
    }

    /// A list of scalars; a single scalar is not accepted where a list is expected.
    func stringList(_ node: Node?, _ path: String) -> [String]? {
        guard let node else { return nil }
        guard case .sequence(let seq) = node else {
            fail(node, path, "expected a list, found \(describe(node))", hint: "write [a, b] or one '- item' per line")
            return nil
        }
        var out: [String] = []
        for (i, item) in seq.enumerated() {
            if let s = string(item, "\(path)[\(i)]") { out.append(s) }
        }
        return out
    }

    /// The closest of `candidates` to `word` by edit distance, when it is close enough to be a typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(word.lowercased(), candidate)
            if d <= max(2, candidate.count / 3), best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
