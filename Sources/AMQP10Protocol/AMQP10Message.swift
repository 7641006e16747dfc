import NIOCore

/// A message in the AMQP 1.0 format (messaging 3.2): the payload of a delivery's transfers.
///
/// Sections in the order of the spec: header, delivery-annotations, message-annotations,
/// properties, application-properties, the body, footer. Every section but the body is
/// optional.
public struct AMQP10Message: Sendable, Hashable {
    /// The body: one or more data sections, one or more amqp-sequence sections, or one
    /// amqp-value section.
    public enum Body: Sendable, Hashable {
        /// Opaque bytes, possibly in several sections. No section at all decodes as `[]`.
        case data([ByteBuffer])
        /// One value (`amqp-value`).
        case value(AMQP10Value)
        /// Lists of values (`amqp-sequence`, one or more).
        case sequence([[AMQP10Value]])
    }

    public var header: AMQP10Header?
    /// Annotations for the next hop only; symbol (or ulong) keys.
    public var deliveryAnnotations: AMQP10Map?
    /// Annotations that travel with the message; symbol (or ulong) keys.
    public var messageAnnotations: AMQP10Map?
    public var properties: AMQP10Properties?
    /// The application's properties: string keys, simple values.
    public var applicationProperties: AMQP10Map?
    public var body: Body
    public var footer: AMQP10Map?

    public init(
        header: AMQP10Header? = nil,
        deliveryAnnotations: AMQP10Map? = nil,
        messageAnnotations: AMQP10Map? = nil,
        properties: AMQP10Properties? = nil,
        applicationProperties: AMQP10Map? = nil,
        body: Body = .data([]),
        footer: AMQP10Map? = nil
    ) {
        self.header = header
        self.deliveryAnnotations = deliveryAnnotations
        self.messageAnnotations = messageAnnotations
        self.properties = properties
        self.applicationProperties = applicationProperties
        self.body = body
        self.footer = footer
    }

    /// A message whose body is one data section holding `bytes`.
    public init(data bytes: ByteBuffer, properties: AMQP10Properties? = nil) {
        self.init(properties: properties, body: .data([bytes]))
    }

    /// The body's bytes when the body is data sections (joined); nil for amqp-value and
    /// amqp-sequence bodies.
    public var data: ByteBuffer? {
        guard case .data(let sections) = self.body else { return nil }
        if sections.count == 1 { return sections[0] }
        var joined = ByteBuffer()
        joined.reserveCapacity(sections.reduce(0) { $0 + $1.readableBytes })
        for section in sections { joined.writeImmutableBuffer(section) }
        return joined
    }

    /// Section descriptor codes.
    enum Section {
        static let header: UInt64 = 0x70
        static let deliveryAnnotations: UInt64 = 0x71
        static let messageAnnotations: UInt64 = 0x72
        static let properties: UInt64 = 0x73
        static let applicationProperties: UInt64 = 0x74
        static let data: UInt64 = 0x75
        static let sequence: UInt64 = 0x76
        static let value: UInt64 = 0x77
        static let footer: UInt64 = 0x78
    }

    /// Writes every present section.
    public func encode(into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        if let header = self.header { try header.encode(into: &buffer) }
        try Self.writeMap(self.deliveryAnnotations, code: Section.deliveryAnnotations, into: &buffer)
        try Self.writeMap(self.messageAnnotations, code: Section.messageAnnotations, into: &buffer)
        if let properties = self.properties { try properties.encode(into: &buffer) }
        try Self.writeMap(self.applicationProperties, code: Section.applicationProperties, into: &buffer)
        switch self.body {
        case .data(let sections):
            for section in sections {
                try AMQP10Value.described(descriptor: .ulong(Section.data), value: .binary(section)).encode(into: &buffer)
            }
        case .value(let value):
            try AMQP10Value.described(descriptor: .ulong(Section.value), value: value).encode(into: &buffer)
        case .sequence(let lists):
            for list in lists {
                try AMQP10Value.described(descriptor: .ulong(Section.sequence), value: .list(list)).encode(into: &buffer)
            }
        }
        try Self.writeMap(self.footer, code: Section.footer, into: &buffer)
    }

    /// The encoded message as a new buffer (the payload of a transfer).
    public func encoded() throws(AMQP10ProtocolError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try self.encode(into: &buffer)
        return buffer
    }

    private static func writeMap(_ map: AMQP10Map?, code: UInt64, into buffer: inout ByteBuffer) throws(AMQP10ProtocolError) {
        guard let map else { return }
        try AMQP10Value.described(descriptor: .ulong(code), value: .map(map)).encode(into: &buffer)
    }

    /// Reads a whole message payload (all of `payload`'s readable bytes).
    ///
    /// Data sections are slices of `payload`, not copies.
    ///
    /// - Throws: `AMQP10ProtocolError.invalidSectionOrder` for sections out of order, twice,
    ///   or mixed body kinds; `.unexpectedDescriptor` for a value that is not a section;
    ///   any value or field error.
    public init(decoding payload: ByteBuffer, maxDepth: Int = AMQP10Value.defaultMaxDepth) throws(AMQP10ProtocolError) {
        var buffer = payload
        self.init()
        var rank = 0  // the rank of the last section read; each must be above the previous
        var bodyKind: UInt64?
        var dataSections: [ByteBuffer] = []
        var sequences: [[AMQP10Value]] = []
        while buffer.readableBytes > 0 {
            let section = try AMQP10Value.decode(from: &buffer, maxDepth: maxDepth)
            guard case .described(_, let body) = section, let code = section.descriptorCode,
                  (Section.header ... Section.footer).contains(code)
            else { throw .unexpectedDescriptor(expected: "message section", found: section.descriptorDescription) }
            let sectionRank: Int
            switch code {
            case Section.data, Section.sequence, Section.value: sectionRank = 6
            case Section.footer: sectionRank = 7
            default: sectionRank = Int(code - Section.header) + 1
            }
            if sectionRank == 6, rank == 6 {
                // Another body section: only data after data, sequence after sequence.
                guard bodyKind == code, code != Section.value else {
                    throw .invalidSectionOrder("body section 0x\(String(code, radix: 16)) after 0x\(String(bodyKind ?? 0, radix: 16))")
                }
            } else if sectionRank <= rank {
                throw .invalidSectionOrder("section 0x\(String(code, radix: 16)) after a later one")
            }
            rank = sectionRank
            switch code {
            case Section.header:
                self.header = try AMQP10Header(section)
            case Section.properties:
                self.properties = try AMQP10Properties(section)
            case Section.deliveryAnnotations, Section.messageAnnotations, Section.applicationProperties, Section.footer:
                guard case .map(let map) = body else {
                    throw .invalidField(type: section.descriptorDescription, field: "(body)", found: body.typeName)
                }
                switch code {
                case Section.deliveryAnnotations: self.deliveryAnnotations = map
                case Section.messageAnnotations: self.messageAnnotations = map
                case Section.applicationProperties: self.applicationProperties = map
                default: self.footer = map
                }
            case Section.data:
                guard case .binary(let bytes) = body else {
                    throw .invalidField(type: "amqp:data:binary", field: "(body)", found: body.typeName)
                }
                bodyKind = code
                dataSections.append(bytes)
            case Section.sequence:
                guard case .list(let list) = body else {
                    throw .invalidField(type: "amqp:amqp-sequence:list", field: "(body)", found: body.typeName)
                }
                bodyKind = code
                sequences.append(list)
            default:
                bodyKind = code
                self.body = .value(body)
            }
        }
        switch bodyKind {
        case Section.sequence: self.body = .sequence(sequences)
        case Section.value: break
        default: self.body = .data(dataSections)
        }
    }
}
