import NIOCore

/// Turns `MQTTPacket`s into bytes, without I/O.
///
/// Every check runs before the first byte is written: a packet that cannot be encoded
/// throws and leaves the buffer as it was.
public struct MQTTPacketEncoder: Sendable {
    /// The version of the connection.
    public var version: MQTTVersion

    public init(version: MQTTVersion) { self.version = version }

    /// Appends the packet to `buffer` in this encoder's version.
    public func encode(_ packet: MQTTPacket, into buffer: inout ByteBuffer) throws(MQTTProtocolError) {
        try Self.encode(packet, version: version, into: &buffer)
    }

    /// Appends the packet to `buffer`.
    /// - Parameters:
    ///   - packet: the packet; a CONNECT must carry the same version.
    ///   - version: the connection's version.
    ///   - buffer: where the bytes go, after its writer index.
    /// - Throws: `MQTTProtocolError` for a field too long for its length prefix, a property
    ///   the packet may not carry, a value the version cannot express, and so on.
    public static func encode(
        _ packet: MQTTPacket,
        version: MQTTVersion,
        into buffer: inout ByteBuffer
    ) throws(MQTTProtocolError) {
        let bodySize = try bodySize(of: packet, version: version)
        let start = buffer.writerIndex
        buffer.reserveCapacity(minimumWritableBytes: 1 + VariableByteInteger.encodedLength(UInt32(bodySize)) + bodySize)
        buffer.putByte(fixedHeaderByte(packet))
        buffer.putVariableByteInteger(UInt32(bodySize))
        do throws(MQTTProtocolError) {
            try writeBody(packet, version: version, into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)  // unreachable: the size pass ran the same checks
            throw error
        }
        assert(buffer.writerIndex - start == 1 + VariableByteInteger.encodedLength(UInt32(bodySize)) + bodySize)
    }

    /// The number of bytes `encode` would write, fixed header included: what MQTT 5's
    /// maximum packet size limits.
    /// - Throws: what `encode` would throw.
    public static func encodedSize(of packet: MQTTPacket, version: MQTTVersion) throws(MQTTProtocolError) -> Int {
        let bodySize = try bodySize(of: packet, version: version)
        return 1 + VariableByteInteger.encodedLength(UInt32(bodySize)) + bodySize
    }

    private static func bodySize(of packet: MQTTPacket, version: MQTTVersion) throws(MQTTProtocolError) -> Int {
        var counter = SizeCounter()
        try writeBody(packet, version: version, into: &counter)
        guard counter.size <= Int(VariableByteInteger.maximum) else {
            throw .packetTooLarge(size: 1 + 4 + counter.size, maximum: MQTTPacketDecoder.largestPacketSize)
        }
        return counter.size
    }

    private static func fixedHeaderByte(_ packet: MQTTPacket) -> UInt8 {
        let type = packet.type
        guard case .publish(let publish) = packet else { return type.rawValue << 4 | type.requiredFlags }
        return type.rawValue << 4
            | (publish.dup ? 0b1000 : 0)
            | publish.qos.rawValue << 1
            | (publish.retain ? 0b0001 : 0)
    }
}

extension MQTTPacketEncoder: MessageToByteEncoder {
    public typealias OutboundIn = MQTTPacket

    public func encode(data: MQTTPacket, out: inout ByteBuffer) throws {
        try encode(data, into: &out)
    }
}
