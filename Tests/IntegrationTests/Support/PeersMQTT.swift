import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MQTTProtocol
import NIOCore
import Synchronization

/// A blocking MQTT 3.1.1/5 client for end-to-end tests, on the project's own codec over a
/// plain TCP socket: publishes with every MQTT 5 property and waits for the PUBACK, and
/// collects whole PUBLISH packets (properties included) from its subscriptions.
///
/// A reader thread decodes what the broker sends and PUBACKs QoS 1 deliveries at once
/// (unless ``holdAcks`` is set). Every call blocks the calling thread.
final class MQTTPeer: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One PUBLISH the peer received.
    struct Message: Sendable {
        var topic: String
        var payload: [UInt8]
        var properties: MQTTProperties
        var qos: QoS
        var dup: Bool
        var packetID: UInt16?

        /// The user properties in order.
        var userProperties: [(name: String, value: String)] {
            properties.compactMap {
                if case .userProperty(let name, let value) = $0 { return (name, value) }
                return nil
            }
        }

        /// The first user property called `name`.
        func user(_ name: String) -> String? { userProperties.first { $0.name == name }?.value }

        var contentType: String? {
            for p in properties { if case .contentType(let v) = p { return v } }
            return nil
        }

        var correlationData: [UInt8]? {
            for p in properties { if case .correlationData(let v) = p { return Array(v.readableBytesView) } }
            return nil
        }

        var responseTopic: String? {
            for p in properties { if case .responseTopic(let v) = p { return v } }
            return nil
        }

        var expiryInterval: UInt32? {
            for p in properties { if case .messageExpiryInterval(let v) = p { return v } }
            return nil
        }
    }

    let version: MQTTVersion
    private let fd: Int32
    private let encoder: MQTTPacketEncoder
    private let writeLock = Mutex(())
    private let state = Mutex(State())
    private var reader: Thread?
    private let closedByTest = Atomic(false)
    /// While true, received QoS 1 messages are not PUBACKed.
    let holdAcks: Bool

    private struct State {
        var messages: [Message] = []
        /// PUBACK/SUBACK/CONNACK by packet id (CONNACK under 0).
        var answers: [UInt16: MQTTPacket] = [:]
        var closed: String?
        var nextPacketID: UInt16 = 1
    }

    /// Connects to `url` (`mqtt://host:port`) and waits for a successful CONNACK.
    init(
        _ url: String, clientID: String, version: MQTTVersion = .v5, cleanStart: Bool = true, sessionExpiry: UInt32 = 0,
        holdAcks: Bool = false
    ) throws {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port else {
            throw Failure(description: "not an mqtt://host:port URL: \(url)")
        }
        self.version = version
        self.holdAcks = holdAcks
        encoder = MQTTPacketEncoder(version: version)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect to \(url): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // The thread holds the peer until the socket closes: call close().
        let thread = Thread { self.readLoop() }
        thread.name = "mqtt-peer-\(clientID)"
        reader = thread
        thread.start()
        var properties = MQTTProperties()
        if version == .v5 && sessionExpiry > 0 { properties.append(.sessionExpiryInterval(sessionExpiry)) }
        try send(.connect(.init(version: version, clientID: clientID, cleanStart: cleanStart, keepAlive: 0, properties: properties)))
        guard case .connack(let connack) = try answer(0, timeout: 10), connack.reasonCode == .success else {
            throw Failure(description: "CONNACK refused for \(clientID)")
        }
    }

    private func send(_ packet: MQTTPacket) throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        try encoder.encode(packet, into: &buffer)
        try writeLock.withLock { _ in
            try buffer.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                    guard n > 0 else { throw Failure(description: "send failed: errno \(errno)") }
                    offset += n
                }
            }
        }
    }

    private func nextPacketID() -> UInt16 {
        state.withLock {
            let id = $0.nextPacketID
            $0.nextPacketID = id == UInt16.max ? 1 : id + 1
            return id
        }
    }

    private func answer(_ packetID: UInt16, timeout: TimeInterval) throws -> MQTTPacket {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (answer, closed) = state.withLock { ($0.answers.removeValue(forKey: packetID), $0.closed) }
            if let answer { return answer }
            if let closed { throw Failure(description: "connection closed: \(closed)") }
            Thread.sleep(forTimeInterval: 0.005)
        }
        throw Failure(description: "no answer for packet \(packetID) within \(timeout) s")
    }

    /// Subscribes and waits for the SUBACK.
    func subscribe(_ filter: String, qos: QoS = .atLeastOnce) throws {
        let id = nextPacketID()
        try send(.subscribe(.init(packetID: id, subscriptions: [.init(topicFilter: filter, qos: qos)])))
        guard case .suback(let suback) = try answer(id, timeout: 10), suback.reasonCodes.allSatisfy({ $0.rawValue <= 2 }) else {
            throw Failure(description: "SUBACK refused \(filter)")
        }
    }

    /// Publishes at QoS 1 and waits for the PUBACK; returns its reason code.
    @discardableResult
    func publish(_ topic: String, payload: [UInt8], properties: MQTTProperties = [], timeout: TimeInterval = 10) throws -> MQTTReasonCode {
        let id = nextPacketID()
        try send(.publish(.init(topic: topic, payload: ByteBuffer(bytes: payload), qos: .atLeastOnce, packetID: id, properties: properties)))
        guard case .puback(let ack) = try answer(id, timeout: timeout) else { throw Failure(description: "no PUBACK for \(topic)") }
        return ack.reasonCode
    }

    /// Everything received so far.
    var messages: [Message] { state.withLock { $0.messages } }

    /// Waits until at least `count` messages (matching `filter`) arrived; returns those.
    func waitForMessages(count: Int, timeout: TimeInterval, where filter: (Message) -> Bool = { _ in true }) -> [Message] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let matching = messages.filter(filter)
            if matching.count >= count || Date() >= deadline { return matching }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private func readLoop() {
        var decoder = MQTTPacketDecoder(version: version)
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                state.withLock { $0.closed = $0.closed ?? "read returned \(n)" }
                return
            }
            buffer.writeBytes(chunk[0..<n])
            do {
                while let packet = try decoder.decode(buffer: &buffer) { handle(packet) }
            } catch {
                state.withLock { $0.closed = "decode error \(error)" }
                return
            }
            buffer.discardReadBytes()
        }
    }

    private func handle(_ packet: MQTTPacket) {
        switch packet {
        case .connack: state.withLock { $0.answers[0] = packet }
        case .puback(let ack): state.withLock { $0.answers[ack.packetID] = packet }
        case .suback(let ack): state.withLock { $0.answers[ack.packetID] = packet }
        case .publish(let publish):
            let message = Message(
                topic: publish.topic, payload: Array(publish.payload.readableBytesView), properties: publish.properties,
                qos: publish.qos, dup: publish.dup, packetID: publish.packetID
            )
            state.withLock { $0.messages.append(message) }
            if let id = publish.packetID, !holdAcks {
                switch publish.qos {
                case .atLeastOnce: try? send(.puback(.init(packetID: id)))
                case .exactlyOnce: try? send(.pubrec(.init(packetID: id)))
                default: break
                }
            }
        case .pubrel(let rel): try? send(.pubcomp(.init(packetID: rel.packetID)))
        case .disconnect(let d): state.withLock { $0.closed = "DISCONNECT \(d.reasonCode)" }
        default: break
        }
    }

    /// Sends DISCONNECT and closes the socket.
    func close() {
        guard !closedByTest.exchange(true, ordering: .relaxed) else { return }
        try? send(.disconnect(.init()))
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }

    /// Closes the socket without DISCONNECT (the broker keeps the session, and a will fires).
    func drop() {
        guard !closedByTest.exchange(true, ordering: .relaxed) else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
