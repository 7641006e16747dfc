/// Which end of a link a peer is (attach and disposition `role`).
public enum AMQP10Role: Sendable, Hashable {
    case sender
    case receiver

    var value: AMQP10Value { .boolean(self == .receiver) }

    static func from(_ value: AMQP10Value) -> AMQP10Role? {
        AMQP10Value.asBool(value).map { $0 ? .receiver : .sender }
    }
}
