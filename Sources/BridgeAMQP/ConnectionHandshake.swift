import AMQPProtocol
import NIOCore

/// The opening of an AMQP 0-9-1 connection as a state machine without I/O: after the
/// protocol header, `connection.start` → start-ok (SASL PLAIN), `connection.tune` →
/// tune-ok + open, `connection.open-ok` → open. Each received method returns what to do.
struct ConnectionHandshake: Sendable {
    /// What the client asks for; the broker's limits may lower it.
    struct Request: Sendable {
        var username: String
        var password: String
        var virtualHost: String
        /// Our wish, in seconds; 0 = none.
        var heartbeat: UInt16
        /// Shown in the management UI and `rabbitmqctl list_connections`.
        var connectionName: String
        var channelMax: UInt16 = 2047
        var frameMax: UInt32 = 131_072
    }

    /// The negotiated limits of an open connection.
    struct Tuning: Sendable, Hashable {
        var channelMax: UInt16
        var frameMax: UInt32
        /// Seconds; 0 = no heartbeats.
        var heartbeat: UInt16
    }

    enum Action: Sendable, Hashable {
        /// Send these methods on channel 0.
        case send([Method])
        /// The connection is open.
        case opened(Tuning)
        /// Give up: the broker refused or broke the protocol. Send `close` when given.
        case fail(String, close: ConnectionClose?)
    }

    enum State: Sendable, Hashable {
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk(Tuning)
        case open(Tuning)
        case failed
    }

    let request: Request
    private(set) var state: State = .awaitingStart

    init(_ request: Request) {
        self.request = request
    }

    /// Capabilities RabbitMQ reads from the client properties.
    static let capabilities: FieldTable = [
        "publisher_confirms": true,
        "consumer_cancel_notify": true,
        "connection.blocked": true,
        "basic.nack": true,
        "exchange_exchange_bindings": true,
        "authentication_failure_close": true,
    ]

    /// A method received on channel 0 before the connection is open.
    mutating func receive(_ method: Method) -> Action {
        switch (state, method) {
        case (.awaitingStart, .connectionStart(let start)):
            let mechanisms = start.mechanisms.split(separator: " ").map(String.init)
            guard mechanisms.contains("PLAIN") else {
                state = .failed
                return .fail("the broker offers SASL \(start.mechanisms), not PLAIN", close: nil)
            }
            var response = ByteBuffer()
            response.writeInteger(UInt8(0))
            response.writeString(request.username)
            response.writeInteger(UInt8(0))
            response.writeString(request.password)
            let properties: FieldTable = [
                "product": "message-bridge",
                "platform": "Swift",
                "connection_name": .string(request.connectionName),
                "capabilities": .table(Self.capabilities),
            ]
            state = .awaitingTune
            return .send([.connectionStartOk(ConnectionStartOk(clientProperties: properties, mechanism: "PLAIN", response: response, locale: "en_US"))])

        case (.awaitingTune, .connectionSecure):
            state = .failed
            return .fail("the broker sent connection.secure, which PLAIN does not use", close: nil)

        case (.awaitingTune, .connectionTune(let tune)):
            let tuning = Tuning(
                channelMax: Self.lower(tune.channelMax, request.channelMax),
                frameMax: Self.lower(tune.frameMax, request.frameMax),
                heartbeat: Self.heartbeat(server: tune.heartbeat, client: request.heartbeat)
            )
            state = .awaitingOpenOk(tuning)
            return .send([
                .connectionTuneOk(ConnectionTuneOk(channelMax: tuning.channelMax, frameMax: tuning.frameMax, heartbeat: tuning.heartbeat)),
                .connectionOpen(ConnectionOpen(virtualHost: request.virtualHost)),
            ])

        case (.awaitingOpenOk(let tuning), .connectionOpenOk):
            state = .open(tuning)
            return .opened(tuning)

        case (_, .connectionClose(let close)):
            state = .failed
            return .fail("the broker closed the connection: \(close.replyCode) \(close.replyText)", close: nil)

        default:
            state = .failed
            return .fail(
                "unexpected \(method.name) while opening the connection",
                close: ConnectionClose(replyCode: 505, replyText: "UNEXPECTED_FRAME", classID: method.classID, methodID: 0)
            )
        }
    }

    /// The lower of two limits where 0 means "no limit".
    static func lower<T: FixedWidthInteger>(_ server: T, _ client: T) -> T {
        if server == 0 { return client }
        if client == 0 { return server }
        return min(server, client)
    }

    /// RabbitMQ's rule (as its Java client): when either side says 0 the other one's value
    /// applies, else the lower one.
    static func heartbeat(server: UInt16, client: UInt16) -> UInt16 {
        if server == 0 || client == 0 { return max(server, client) }
        return min(server, client)
    }
}
