import AMQPProtocol
import BridgeCore
import NIOCore

/// AMQP field values ↔ envelope header values (CONTRACT section 4). AMQP tables are typed,
/// and so are ``HeaderValue``s: numbers, booleans, timestamps, decimals, byte arrays, nested
/// tables and arrays travel AMQP → AMQP keeping their value and kind. Integer widths are not
/// kept: every signed integer comes back as a 64-bit one (`l`), unsigned ones as `l` too
/// when they fit, else as their decimal text.
public enum AMQPHeaderMapping {
    /// One AMQP field value as a header value.
    public static func headerValue(_ value: AMQPValue) -> HeaderValue {
        switch value {
        case .bool(let b): return .bool(b)
        case .int8(let i): return .int(Int64(i))
        case .int16(let i): return .int(Int64(i))
        case .int32(let i): return .int(Int64(i))
        case .int64(let i): return .int(i)
        case .uint8(let u): return .uint(UInt64(u))
        case .uint16(let u): return .uint(UInt64(u))
        case .uint32(let u): return .uint(UInt64(u))
        case .float(let f): return .double(Double(f))
        case .double(let d): return .double(d)
        case .decimal(let scale, let raw): return .decimal(scale: scale, value: Int32(bitPattern: raw))
        case .longString(let bytes):
            // Text when it is UTF-8 (nearly always), else the bytes as they came.
            let array = Array(bytes.readableBytesView)
            if let text = String(validating: array, as: UTF8.self) { return .string(text) }
            return .bytes(array)
        case .bytes(let bytes): return .bytes(Array(bytes.readableBytesView))
        case .timestamp(let seconds): return .timestamp(Int64(clamping: seconds))
        case .table(let table): return .table(headers(table))
        case .array(let values): return .array(values.map(headerValue))
        case .void: return .null
        }
    }

    /// One header value as an AMQP field value.
    public static func amqpValue(_ value: HeaderValue) -> AMQPValue {
        switch value {
        case .string(let s): return .string(s)
        case .bytes(let b): return .bytes(ByteBuffer(bytes: b))
        case .bool(let b): return .bool(b)
        case .int(let i): return .int64(i)
        case .uint(let u): return u <= UInt64(Int64.max) ? .int64(Int64(u)) : .string(String(u))
        case .double(let d): return .double(d)
        case .decimal(let scale, let v): return .decimal(scale: scale, value: UInt32(bitPattern: v))
        case .timestamp(let seconds): return .timestamp(UInt64(clamping: seconds))
        case .table(let headers): return .table(fieldTable(headers))
        case .array(let values): return .array(values.map(amqpValue))
        case .null: return .void
        }
    }

    /// A whole table as headers, in wire order.
    public static func headers(_ table: FieldTable) -> Headers {
        Headers(table.entries.map { Headers.Field(name: $0.name, value: headerValue($0.value)) })
    }

    /// Headers as a table, in order.
    public static func fieldTable(_ headers: Headers) -> FieldTable {
        FieldTable(headers.map { FieldTable.Entry(name: $0.name, value: amqpValue($0.value)) })
    }

    /// An integer from a header that may be typed or text (`bridge-hops`).
    static func integer(_ value: AMQPValue) -> Int? {
        switch value {
        case .int8(let i): Int(i)
        case .int16(let i): Int(i)
        case .int32(let i): Int(i)
        case .int64(let i): Int(exactly: i)
        case .uint8(let u): Int(u)
        case .uint16(let u): Int(u)
        case .uint32(let u): Int(u)
        case .longString: value.stringValue.flatMap { Int($0) }
        default: nil
        }
    }

    /// Bytes a header takes, roughly, for the size check (names and values).
    static func byteCount(_ value: AMQPValue) -> Int {
        switch value {
        case .longString(let b), .bytes(let b): return b.readableBytes
        case .table(let t): return t.entries.reduce(0) { $0 + $1.name.utf8.count + byteCount($1.value) }
        case .array(let a): return a.reduce(0) { $0 + byteCount($1) }
        default: return 8
        }
    }
}
