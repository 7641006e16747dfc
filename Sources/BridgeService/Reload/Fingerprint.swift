import BridgeCore

/// A text that is the same for two configuration values exactly when every stored
/// property is (secrets included, by value; dictionary and set order ignored). The
/// configuration types are not `Equatable`; a reload compares their fingerprints.
/// Never log a fingerprint: it holds secrets in clear.
enum Fingerprint {
    static func of(_ value: Any) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: Any, into out: inout String) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let child = mirror.children.first { write(child.value, into: &out) } else { out += "nil" }
        case .dictionary, .set:
            let items = mirror.children.map { of($0.value) }.sorted()
            out += "{" + items.joined(separator: ",") + "}"
        default:
            if mirror.children.isEmpty {
                out += "\(type(of: value))=\(String(describing: value))"
            } else {
                out += "\(type(of: value))("
                for child in mirror.children {
                    out += (child.label ?? "_") + ":"
                    write(child.value, into: &out)
                    out += ";"
                }
                out += ")"
            }
        }
    }
}

/// The keys of the `bridge:` section that differ between two configurations.
enum BridgeSettingsDiff {
    static func changed(_ old: BridgeSettings, _ new: BridgeSettings) -> [String] {
        var keys: [String] = []
        if old.name != new.name { keys.append("name") }
        if old.instance != new.instance { keys.append("instance") }
        if old.http != new.http { keys.append("http") }
        if old.httpToken != new.httpToken { keys.append("http_token_file") }
        if old.shutdownTimeout != new.shutdownTimeout { keys.append("shutdown_timeout") }
        if old.maxHops != new.maxHops { keys.append("max_hops") }
        return keys
    }
}
