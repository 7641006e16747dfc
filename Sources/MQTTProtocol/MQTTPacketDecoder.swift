import NIOCore

/// Turns bytes into `MQTTPacket`s, one complete packet at a time, without I/O.
///
/// A partial packet returns nil and leaves the buffer as it was, so the caller appends
/// more bytes and calls again. Malformed input throws `MQTTProtocolError`, also without
/// consuming bytes; the connection should then close (MQTT 5 section 4.13).
public struct MQTTPacketDecoder: Sendable {
    /// The largest packet MQTT can express: a 1-byte header, a 4-byte remaining length
    /// and 268,435,455 bytes of body.
    public static let largestPacketSize = 1 + 4 + Int(VariableByteInteger.maximum)

    /// The version of the connection. Decoding a CONNECT sets it to the CONNECT's version.
    public var version: MQTTVersion
    /// Packets larger than this (fixed header included) throw `packetTooLarge` as soon as
    /// their fixed header has arrived, before their body is buffered.
    public var maxPacketSize: Int

    /// - Parameters:
    ///   - version: the connection's version, known from configuration (client) or CONNECT (server).
    ///   - maxPacketSize: the largest packet accepted, fixed header included (MQTT 5 maximum packet size).
    public init(version: MQTTVersion, maxPacketSize: Int = MQTTPacketDecoder.largestPacketSize) {
        self.version = version
        self.maxPacketSize = maxPacketSize
    }

    /// Decodes the packet at the reader index.
    /// - Parameter buffer: received bytes; the reader index moves past the packet only when one is returned.
    /// - Returns: the packet, or nil when the buffer does not yet hold a whole packet.
    /// - Throws: `MQTTProtocolError` when the bytes are not a valid packet or it is too large.
    public mutating func decode(buffer: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPacket? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        let type = try Self.checkFixedHeader(first, version: version)
        guard let (length, lengthBytes) = try VariableByteInteger.peek(buffer, at: start + 1) else { return nil }
        let total = 1 + lengthBytes + Int(length)
        guard total <= maxPacketSize else { throw .packetTooLarge(size: total, maximum: maxPacketSize) }
        guard let body = buffer.getSlice(at: start + 1 + lengthBytes, length: Int(length)) else { return nil }

        var reader = PacketReader(buffer: body, type: type)
        let packet = try Self.parse(type, flags: first & 0x0F, reader: &reader, version: version)
        try reader.expectEnd()
        buffer.moveReaderIndex(forwardBy: total)
        if case .connect(let connect) = packet { version = connect.version }
        return packet
    }

    /// The packet type of a fixed header's first byte, if its flags are valid for it.
    static func checkFixedHeader(_ byte: UInt8, version: MQTTVersion) throws(MQTTProtocolError) -> MQTTPacketType {
        guard let type = MQTTPacketType(rawValue: byte >> 4), type != .auth || version == .v5 else {
            throw .invalidPacketType(byte >> 4)
        }
        let flags = byte & 0x0F
        if type == .publish {
            let qos = (flags >> 1) & 0b11
            guard qos != 3 else { throw .invalidQoS(qos) }
            // DUP must be 0 for QoS 0 [MQTT-3.3.1-2].
            guard qos != 0 || flags & 0b1000 == 0 else { throw .invalidFixedHeaderFlags(type, flags: flags) }
        } else if flags != type.requiredFlags {
            throw .invalidFixedHeaderFlags(type, flags: flags)
        }
        return type
    }
}
