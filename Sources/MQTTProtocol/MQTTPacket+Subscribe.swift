extension MQTTPacket {
    /// SUBSCRIBE (MQTT 5 section 3.8).
    public struct Subscribe: Sendable, Hashable {
        public var packetID: UInt16
        /// At least one.
        public var subscriptions: [Subscription]
        public var properties: MQTTProperties

        public init(packetID: UInt16, subscriptions: [Subscription], properties: MQTTProperties = []) {
            self.packetID = packetID
            self.subscriptions = subscriptions
            self.properties = properties
        }
    }

    /// One topic filter of a SUBSCRIBE with its options.
    public struct Subscription: Sendable, Hashable {
        public var topicFilter: String
        /// The maximum QoS the broker may send with.
        public var qos: QoS
        /// MQTT 5: do not receive one's own publications.
        public var noLocal: Bool
        /// MQTT 5: keep the retain flag as published instead of clearing it.
        public var retainAsPublished: Bool
        /// MQTT 5: when retained messages are sent.
        public var retainHandling: RetainHandling

        public init(
            topicFilter: String,
            qos: QoS = .atLeastOnce,
            noLocal: Bool = false,
            retainAsPublished: Bool = false,
            retainHandling: RetainHandling = .sendOnSubscribe
        ) {
            self.topicFilter = topicFilter
            self.qos = qos
            self.noLocal = noLocal
            self.retainAsPublished = retainAsPublished
            self.retainHandling = retainHandling
        }
    }

    /// MQTT 5 retain handling subscription option.
    public enum RetainHandling: UInt8, Sendable, Hashable, CaseIterable {
        case sendOnSubscribe = 0
        case sendOnNewSubscription = 1
        case doNotSend = 2
    }

    /// SUBACK (MQTT 5 section 3.9): one reason code per topic filter, in order.
    public struct Suback: Sendable, Hashable {
        public var packetID: UInt16
        public var reasonCodes: [MQTTReasonCode]
        public var properties: MQTTProperties

        public init(packetID: UInt16, reasonCodes: [MQTTReasonCode], properties: MQTTProperties = []) {
            self.packetID = packetID
            self.reasonCodes = reasonCodes
            self.properties = properties
        }
    }
}
