import NIOCore

/// `transfer` (transport 2.7.5): one frame of a delivery. `payload` is the frame's bytes
/// after the performative: the message payload, or a piece of it when `more` is set.
public struct AMQP10Transfer: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x14
    public static let descriptorName = "amqp:transfer:list"

    public var handle: UInt32
    /// Set on the first transfer of a delivery; may be left off on continuations.
    public var deliveryID: UInt32?
    /// Set on the first transfer of a delivery; may be left off on continuations.
    public var deliveryTag: ByteBuffer?
    /// 0 for the standard AMQP message format.
    public var messageFormat: UInt32?
    public var settled: Bool?
    /// More transfers of this delivery follow.
    public var more: Bool
    public var rcvSettleMode: AMQP10ReceiverSettleMode?
    public var state: AMQP10DeliveryState?
    public var resume: Bool
    /// The sender gave up on this delivery: discard what arrived of it.
    public var aborted: Bool
    public var batchable: Bool
    /// The frame's payload (not part of the performative's list).
    public var payload: ByteBuffer

    public init(
        handle: UInt32,
        deliveryID: UInt32? = nil,
        deliveryTag: ByteBuffer? = nil,
        messageFormat: UInt32? = nil,
        settled: Bool? = nil,
        more: Bool = false,
        rcvSettleMode: AMQP10ReceiverSettleMode? = nil,
        state: AMQP10DeliveryState? = nil,
        resume: Bool = false,
        aborted: Bool = false,
        batchable: Bool = false,
        payload: ByteBuffer = ByteBuffer()
    ) {
        self.handle = handle
        self.deliveryID = deliveryID
        self.deliveryTag = deliveryTag
        self.messageFormat = messageFormat
        self.settled = settled
        self.more = more
        self.rcvSettleMode = rcvSettleMode
        self.state = state
        self.resume = resume
        self.aborted = aborted
        self.batchable = batchable
        self.payload = payload
    }

    public var fields: [AMQP10Value] {
        [
            .uint(self.handle),
            .optional(self.deliveryID, AMQP10Value.uint),
            .optional(self.deliveryTag, AMQP10Value.binary),
            .optional(self.messageFormat, AMQP10Value.uint),
            .optional(self.settled, AMQP10Value.boolean),
            .defaulted(self.more, false, AMQP10Value.boolean),
            .optional(self.rcvSettleMode) { .ubyte($0.rawValue) },
            .optional(self.state) { $0.value },
            .defaulted(self.resume, false, AMQP10Value.boolean),
            .defaulted(self.aborted, false, AMQP10Value.boolean),
            .defaulted(self.batchable, false, AMQP10Value.boolean),
        ]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.handle = try fields.mandatory("handle", AMQP10Value.asUInt)
        self.deliveryID = try fields.optional("delivery-id", AMQP10Value.asUInt)
        self.deliveryTag = try fields.optional("delivery-tag", AMQP10Value.asBinary)
        self.messageFormat = try fields.optional("message-format", AMQP10Value.asUInt)
        self.settled = try fields.optional("settled", AMQP10Value.asBool)
        self.more = try fields.optional("more", AMQP10Value.asBool) ?? false
        self.rcvSettleMode = try fields.restricted("rcv-settle-mode", AMQP10Value.asUByte)
        self.state = try fields.deliveryState("state")
        self.resume = try fields.optional("resume", AMQP10Value.asBool) ?? false
        self.aborted = try fields.optional("aborted", AMQP10Value.asBool) ?? false
        self.batchable = try fields.optional("batchable", AMQP10Value.asBool) ?? false
        self.payload = ByteBuffer()
    }
}
