#!/usr/bin/env python3
"""Generates Sources/AMQPProtocol/Method.swift from RabbitMQ's AMQP 0-9-1 spec XML.

Run once from the package root after changing this script, and commit its output:

    python3 scripts/amqp/generate-methods.py

Reads /usr/share/amqp/specs/0-9-1-rabbit/amqp0-9-1.stripped.extended.xml (Debian's
amqp-specs). The XML lacks RabbitMQ's connection.blocked/unblocked and
connection.update-secret extensions; they are added below by hand.

Also writes Tests/AMQPProtocolTests/Method+Random.swift: a random instance of every
method, for round-trip tests (random values, so the tests can fail).
"""

import sys
import xml.etree.ElementTree as ET

SPEC = "/usr/share/amqp/specs/0-9-1-rabbit/amqp0-9-1.stripped.extended.xml"
OUT = "Sources/AMQPProtocol/Method.swift"
OUT_TESTS = "Tests/AMQPProtocolTests/Method+Random.swift"

# Methods RabbitMQ adds that the XML does not list: (class, name, index, fields).
EXTENSIONS = [
    ("connection", "blocked", 60, [("reason", "shortstr", False)]),
    ("connection", "unblocked", 61, []),
    ("connection", "update-secret", 70, [("new-secret", "longstr", False), ("reason", "shortstr", False)]),
    ("connection", "update-secret-ok", 71, []),
]

# Methods followed by a content header and body frames.
# Doc comments for fields whose names alone mislead.
FIELD_DOCS = {
    "class-id": "The class of the method that caused the close; 0 when none did (not this method's class).",
    "method-id": "The method that caused the close; 0 when none did (not this method's id).",
    "frame-max": "The largest frame, 8 bytes of overhead included; 0 means no limit.",
    "heartbeat": "Seconds between heartbeats; 0 means none.",
    "multiple": "Whether this covers every delivery tag up to and including `deliveryTag`.",
}

CONTENT_METHODS = {("basic", "publish"), ("basic", "return"), ("basic", "deliver"), ("basic", "get-ok")}

# longstr fields that carry bytes (SASL), not text: kept as ByteBuffer, lossless.
BINARY_LONGSTR = {"response", "challenge", "new-secret"}

SWIFT_TYPES = {
    "bit": "Bool",
    "octet": "UInt8",
    "short": "UInt16",
    "long": "UInt32",
    "longlong": "UInt64",
    "shortstr": "String",
    "longstr": "String",
    "timestamp": "UInt64",
    "table": "FieldTable",
}


def camel(name, upper=False):
    parts = ["ID" if p == "id" else p for p in name.split("-")]
    out = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    if upper:
        out = out[:1].upper() + out[1:]
    return out


SWIFT_KEYWORDS = {"internal", "public", "private", "class", "default", "in", "is", "self"}


def ident(name):
    """A field name as a Swift identifier, in backticks where it is a keyword."""
    n = camel(name)
    return f"`{n}`" if n in SWIFT_KEYWORDS else n


def swift_type(field):
    if field["type"] == "longstr" and field["name"] in BINARY_LONGSTR:
        return "ByteBuffer"
    return SWIFT_TYPES[field["type"]]


def load():
    root = ET.parse(SPEC).getroot()
    domains = {d.get("name"): d.get("type") for d in root.findall("domain")}
    classes = []
    for c in root.findall("class"):
        methods = []
        for m in c.findall("method"):
            fields = []
            for f in m.findall("field"):
                t = f.get("type") or domains[f.get("domain")]
                fields.append({"name": f.get("name"), "type": t, "reserved": f.get("reserved") == "1"})
            methods.append({"name": m.get("name"), "index": int(m.get("index")), "fields": fields})
        for cls, name, index, fields in EXTENSIONS:
            if cls == c.get("name"):
                methods.append({"name": name, "index": index,
                                "fields": [{"name": n, "type": t, "reserved": r} for n, t, r in fields]})
        methods.sort(key=lambda m: m["index"])
        classes.append({"name": c.get("name"), "index": int(c.get("index")), "methods": methods})
    classes.sort(key=lambda c: c["index"])
    return classes


def default_value(field):
    t = swift_type(field)
    if t == "Bool":
        return "false"
    if t == "FieldTable":
        return "[:]"
    return None


def read_expr(t, name):
    return {
        "UInt8": "try buffer.readAMQPInteger(as: UInt8.self)",
        "UInt16": "try buffer.readAMQPInteger(as: UInt16.self)",
        "UInt32": "try buffer.readAMQPInteger(as: UInt32.self)",
        "UInt64": "try buffer.readAMQPInteger(as: UInt64.self)",
        "String": "try buffer.readShortString()",
        "FieldTable": "try FieldTable(from: &buffer)",
    }[t]


def gen_struct(cls, m, out):
    type_name = camel(cls["name"], True) + camel(m["name"], True)
    public = [f for f in m["fields"] if not f["reserved"]]
    content = (cls["name"], m["name"]) in CONTENT_METHODS
    out.append(f"/// `{cls['name']}.{m['name']}`: class {cls['index']}, method {m['index']}"
               + (", followed by content (a header frame and body frames)." if content else "."))
    out.append(f"public struct {type_name}: Sendable, Hashable {{")
    out.append(f"    public static let classID: UInt16 = {cls['index']}")
    out.append(f"    public static let methodID: UInt16 = {m['index']}")
    if public:
        out.append("")
    for f in public:
        if f["name"] in FIELD_DOCS:
            out.append(f"    /// {FIELD_DOCS[f['name']]}")
        out.append(f"    public var {ident(f['name'])}: {swift_type(f)}")
    out.append("")
    params = []
    for f in public:
        d = default_value(f)
        params.append(f"{ident(f['name'])}: {swift_type(f)}" + (f" = {d}" if d else ""))
    if public:
        out.append(f"    public init({', '.join(params)}) {{")
        for f in public:
            out.append(f"        self.{camel(f['name'])} = {ident(f['name'])}")
        out.append("    }")
    else:
        out.append("    public init() {}")

    # Decoding: consecutive bits share octets, low bit first, eight to an octet.
    out.append("")
    out.append("    init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {")
    bit = 8
    octets = 0
    for f in m["fields"]:
        n = camel(f["name"])
        if f["type"] == "bit":
            if bit == 8:
                octets += 1
                octet = "bits" if octets == 1 else f"bits{octets}"
                out.append(f"        let {octet} = try buffer.readAMQPInteger(as: UInt8.self)")
                bit = 0
            if f["reserved"]:
                out.append(f"        _ = {octet}  // {f['name']}")
            else:
                out.append(f"        self.{n} = {octet} & {1 << bit} != 0")
            bit += 1
            continue
        bit = 8
        t = swift_type(f)
        if f["reserved"]:
            skip = {"shortstr": "_ = try buffer.readShortString()",
                    "longstr": "_ = try buffer.readLongStringBytes()",
                    "short": "_ = try buffer.readAMQPInteger(as: UInt16.self)"}[f["type"]]
            out.append(f"        {skip}  // {f['name']}")
        elif f["type"] == "longstr":
            if t == "ByteBuffer":
                out.append(f"        self.{n} = try buffer.readLongStringBytes()")
            else:
                out.append(f"        self.{n} = try buffer.readLongString()")
        else:
            out.append(f"        self.{n} = {read_expr(t, n)}")
    if not m["fields"]:
        out.append("        _ = buffer")
    out.append("    }")

    # Encoding.
    out.append("")
    out.append("    func encodeArguments(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {")
    pending = []  # bit expressions of the current run

    def flush():
        if pending:
            expr = " | ".join(f"({e} ? {1 << i} : 0)" for i, e in enumerate(pending))
            out.append(f"        buffer.writeInteger(UInt8({expr}))" if any(e != "false" for e in pending)
                       else "        buffer.writeInteger(UInt8(0))")
            pending.clear()

    for f in m["fields"]:
        n = camel(f["name"])
        if f["type"] == "bit":
            if len(pending) == 8:
                flush()
            pending.append("false" if f["reserved"] else f"self.{n}")
            continue
        flush()
        if f["reserved"]:
            w = {"shortstr": "try buffer.writeShortString(\"\")",
                 "longstr": "buffer.writeInteger(UInt32(0))",
                 "short": "buffer.writeInteger(UInt16(0))"}[f["type"]]
            out.append(f"        {w}  // {f['name']}")
            continue
        t = swift_type(f)
        if t in ("UInt8", "UInt16", "UInt32", "UInt64"):
            out.append(f"        buffer.writeInteger(self.{n})")
        elif t == "String" and f["type"] == "shortstr":
            out.append(f"        try buffer.writeShortString(self.{n})")
        elif t == "String":
            out.append(f"        buffer.writeLongString(self.{n})")
        elif t == "ByteBuffer":
            out.append(f"        buffer.writeLongString(self.{n})")
        elif t == "FieldTable":
            out.append(f"        try self.{n}.encode(into: &buffer)")
    flush()
    if not m["fields"]:
        out.append("        _ = buffer")
    out.append("    }")
    out.append("}")
    out.append("")
    return type_name, content


def main():
    classes = load()
    out = [
        "// Generated by scripts/amqp/generate-methods.py from RabbitMQ's AMQP 0-9-1 spec XML.",
        "// Do not edit by hand: change the script and run it again.",
        "",
        "import NIOCore",
        "",
    ]
    cases = []
    for cls in classes:
        out.append(f"// MARK: - {cls['name']} (class {cls['index']})")
        out.append("")
        for m in cls["methods"]:
            type_name, content = gen_struct(cls, m, out)
            cases.append((cls, m, type_name, content))

    out.append("// MARK: - Method")
    out.append("")
    out.append("/// Every method of AMQP 0-9-1 with RabbitMQ's extensions, as carried in a method frame.")
    out.append("public enum Method: Sendable, Hashable {")
    for cls, m, t, _ in cases:
        out.append(f"    case {camel(cls['name'])}{camel(m['name'], True)}({t})")
    out.append("")
    out.append("    /// The class id: 10 connection, 20 channel, 40 exchange, 50 queue, 60 basic, 85 confirm, 90 tx.")
    out.append("    public var classID: UInt16 {")
    out.append("        switch self {")
    for cls, m, t, _ in cases:
        out.append(f"        case .{camel(cls['name'])}{camel(m['name'], True)}: {t}.classID")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /// The method id within its class.")
    out.append("    public var methodID: UInt16 {")
    out.append("        switch self {")
    for cls, m, t, _ in cases:
        out.append(f"        case .{camel(cls['name'])}{camel(m['name'], True)}: {t}.methodID")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /// Whether a content header and body frames follow this method on its channel.")
    out.append("    public var hasContent: Bool {")
    out.append("        switch self {")
    content_cases = [f".{camel(c['name'])}{camel(m['name'], True)}" for c, m, _, has in cases if has]
    out.append(f"        case {', '.join(content_cases)}: true")
    out.append("        default: false")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /// The method's name as the spec spells it, e.g. `basic.deliver`, for logs.")
    out.append("    public var name: String {")
    out.append("        switch self {")
    for cls, m, t, _ in cases:
        out.append(f"        case .{camel(cls['name'])}{camel(m['name'], True)}: \"{cls['name']}.{m['name']}\"")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /// Decodes a method frame's payload: class id, method id, arguments.")
    out.append("    ///")
    out.append("    /// - Parameters:")
    out.append("    ///   - buffer: the payload; read up to the end of the arguments.")
    out.append("    /// - Throws: `AMQPProtocolError.unknownMethod`, `.truncated`, or a field table error.")
    out.append("    public static func decode(from buffer: inout ByteBuffer) throws(AMQPProtocolError) -> Method {")
    out.append("        let classID = try buffer.readAMQPInteger(as: UInt16.self)")
    out.append("        let methodID = try buffer.readAMQPInteger(as: UInt16.self)")
    out.append("        switch (classID, methodID) {")
    for cls, m, t, _ in cases:
        out.append(f"        case ({cls['index']}, {m['index']}): return .{camel(cls['name'])}{camel(m['name'], True)}(try {t}(from: &buffer))")
    out.append("        default: throw .unknownMethod(classID: classID, methodID: methodID)")
    out.append("        }")
    out.append("    }")
    out.append("")
    out.append("    /// Encodes the method as a method frame's payload: class id, method id, arguments.")
    out.append("    ///")
    out.append("    /// - Throws: `AMQPProtocolError.shortStringTooLong` when a short string exceeds 255 bytes.")
    out.append("    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {")
    out.append("        buffer.writeInteger(self.classID)")
    out.append("        buffer.writeInteger(self.methodID)")
    out.append("        switch self {")
    for cls, m, t, _ in cases:
        out.append(f"        case .{camel(cls['name'])}{camel(m['name'], True)}(let method): try method.encodeArguments(into: &buffer)")
    out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    with open(OUT, "w") as f:
        f.write("\n".join(out))

    # Test support: random instances.
    rnd = {
        "Bool": "Bool.random(using: &rng)",
        "UInt8": "UInt8.random(in: .min ... .max, using: &rng)",
        "UInt16": "UInt16.random(in: .min ... .max, using: &rng)",
        "UInt32": "UInt32.random(in: .min ... .max, using: &rng)",
        "UInt64": "UInt64.random(in: .min ... .max, using: &rng)",
        "String": "randomShortString(using: &rng)",
        "FieldTable": "FieldTable.random(depth: 2, using: &rng)",
        "ByteBuffer": "randomBytes(using: &rng)",
    }
    t = [
        "// Generated by scripts/amqp/generate-methods.py: a random instance of every method.",
        "",
        "import AMQPProtocol",
        "import NIOCore",
        "",
        "extension Method {",
        "    /// One random instance of each method the spec defines, in spec order.",
        "    static func randomOfEach(using rng: inout some RandomNumberGenerator) -> [Method] {",
        "        var methods: [Method] = []",
    ]
    for cls, m, tn, _ in cases:
        args = []
        for f in m["fields"]:
            if f["reserved"]:
                continue
            st = swift_type(f)
            expr = rnd[st]
            if f["type"] == "longstr" and st == "String":
                expr = "randomLongString(using: &rng)"
            args.append(f"{camel(f['name'])}: {expr}")
        t.append(f"        methods.append(.{camel(cls['name'])}{camel(m['name'], True)}({tn}({', '.join(args)})))")
    t.append("        return methods")
    t.append("    }")
    t.append("")
    t.append(f"    /// The number of methods generated from the spec.")
    t.append(f"    static let specMethodCount = {len(cases)}")
    t.append("}")
    t.append("")
    with open(OUT_TESTS, "w") as f:
        f.write("\n".join(t))
    print(f"wrote {OUT} and {OUT_TESTS}: {len(cases)} methods", file=sys.stderr)


if __name__ == "__main__":
    main()
