/// The `error` composite (transport 2.8.14): carried by detach, end, close and rejected.
public struct AMQP10Error: AMQP10Composite {
    public static let descriptorCode: UInt64 = 0x1D
    public static let descriptorName = "amqp:error:list"

    /// A symbolic condition, e.g. `amqp:not-found` (see `AMQP10Error.Condition`).
    public var condition: String
    public var description: String?
    /// Extra information; symbol keys.
    public var info: AMQP10Map?

    public init(condition: String, description: String? = nil, info: AMQP10Map? = nil) {
        self.condition = condition
        self.description = description
        self.info = info
    }

    public var fields: [AMQP10Value] {
        [.symbol(self.condition), .optional(self.description, AMQP10Value.string), .optional(self.info, AMQP10Value.map)]
    }

    public init(fields: inout AMQP10FieldReader) throws(AMQP10ProtocolError) {
        self.condition = try fields.mandatory("condition", AMQP10Value.asSymbol)
        self.description = try fields.optional("description", AMQP10Value.asString)
        self.info = try fields.optional("info", AMQP10Value.asMap)
    }

    /// The conditions the spec defines (amqp-error, connection-error, session-error,
    /// link-error).
    public enum Condition {
        public static let internalError = "amqp:internal-error"
        public static let notFound = "amqp:not-found"
        public static let unauthorizedAccess = "amqp:unauthorized-access"
        public static let decodeError = "amqp:decode-error"
        public static let resourceLimitExceeded = "amqp:resource-limit-exceeded"
        public static let notAllowed = "amqp:not-allowed"
        public static let invalidField = "amqp:invalid-field"
        public static let notImplemented = "amqp:not-implemented"
        public static let resourceLocked = "amqp:resource-locked"
        public static let preconditionFailed = "amqp:precondition-failed"
        public static let resourceDeleted = "amqp:resource-deleted"
        public static let illegalState = "amqp:illegal-state"
        public static let frameSizeTooSmall = "amqp:frame-size-too-small"
        public static let connectionForced = "amqp:connection:forced"
        public static let framingError = "amqp:connection:framing-error"
        public static let connectionRedirect = "amqp:connection:redirect"
        public static let windowViolation = "amqp:session:window-violation"
        public static let errantLink = "amqp:session:errant-link"
        public static let handleInUse = "amqp:session:handle-in-use"
        public static let unattachedHandle = "amqp:session:unattached-handle"
        public static let detachForced = "amqp:link:detach-forced"
        public static let transferLimitExceeded = "amqp:link:transfer-limit-exceeded"
        public static let messageSizeExceeded = "amqp:link:message-size-exceeded"
        public static let linkRedirect = "amqp:link:redirect"
        public static let stolen = "amqp:link:stolen"
    }
}
