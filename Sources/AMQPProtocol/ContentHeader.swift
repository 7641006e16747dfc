import NIOCore

/// The payload of a header frame: what follows a content-carrying method.
public struct ContentHeader: Sendable, Hashable {
    /// The class of the method it follows; always basic (60) in 0-9-1.
    public var classID: UInt16
    /// The total size of the body frames that follow; 0 means no body frame follows.
    public var bodySize: UInt64
    public var properties: BasicProperties

    public init(classID: UInt16 = BasicPublish.classID, bodySize: UInt64, properties: BasicProperties = BasicProperties()) {
        self.classID = classID
        self.bodySize = bodySize
        self.properties = properties
    }

    /// Decodes class id, weight (ignored, always 0), body size, property flags and properties.
    ///
    /// - Throws: `AMQPProtocolError.unknownContentClass` for a class other than basic;
    ///   `.truncated`; property errors.
    public init(from buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        self.classID = try buffer.readAMQPInteger()
        guard self.classID == BasicPublish.classID else { throw .unknownContentClass(self.classID) }
        _ = try buffer.readAMQPInteger(as: UInt16.self)  // weight
        self.bodySize = try buffer.readAMQPInteger()
        self.properties = try BasicProperties(from: &buffer)
    }

    /// Encodes the header frame's payload.
    ///
    /// - Throws: `AMQPProtocolError.shortStringTooLong`.
    public func encode(into buffer: inout ByteBuffer) throws(AMQPProtocolError) {
        buffer.writeInteger(self.classID)
        buffer.writeInteger(UInt16(0))  // weight
        buffer.writeInteger(self.bodySize)
        try self.properties.encode(into: &buffer)
    }
}
