import AMQPProtocol
@testable import BridgeAMQP
import NIOCore
import Testing

/// The connection opening as a state machine: what the client answers to each method.
@Suite struct ConnectionHandshakeTests {
    let request = ConnectionHandshake.Request(username: "guest", password: "secret", virtualHost: "b", heartbeat: 30, connectionName: "bridge-1-publish")

    @Test func opensWithPlainTuneAndVhost() throws {
        var handshake = ConnectionHandshake(request)
        let start = ConnectionStart(versionMajor: 0, versionMinor: 9, mechanisms: "AMQPLAIN PLAIN", locales: "en_US")
        guard case .send(let first) = handshake.receive(.connectionStart(start)), case .connectionStartOk(let ok) = first.first else {
            Issue.record("no start-ok")
            return
        }
        #expect(ok.mechanism == "PLAIN")
        #expect(Array(ok.response.readableBytesView) == [0] + Array("guest".utf8) + [0] + Array("secret".utf8))
        guard case .table(let capabilities)? = ok.clientProperties["capabilities"] else {
            Issue.record("no capabilities")
            return
        }
        for name in ["publisher_confirms", "consumer_cancel_notify", "connection.blocked", "basic.nack"] {
            #expect(capabilities[name] == .bool(true), "\(name)")
        }
        #expect(ok.clientProperties["connection_name"] == "bridge-1-publish")

        let action = handshake.receive(.connectionTune(ConnectionTune(channelMax: 0, frameMax: 131_072, heartbeat: 60)))
        #expect(action == .send([
            .connectionTuneOk(ConnectionTuneOk(channelMax: 2047, frameMax: 131_072, heartbeat: 30)),
            .connectionOpen(ConnectionOpen(virtualHost: "b")),
        ]))
        #expect(handshake.receive(.connectionOpenOk(ConnectionOpenOk())) == .opened(.init(channelMax: 2047, frameMax: 131_072, heartbeat: 30)))
    }

    @Test func negotiation() {
        #expect(ConnectionHandshake.heartbeat(server: 60, client: 30) == 30)
        #expect(ConnectionHandshake.heartbeat(server: 10, client: 30) == 10)
        #expect(ConnectionHandshake.heartbeat(server: 0, client: 30) == 30)
        #expect(ConnectionHandshake.heartbeat(server: 60, client: 0) == 60)
        #expect(ConnectionHandshake.lower(UInt32(4096), UInt32(131_072)) == 4096)
        #expect(ConnectionHandshake.lower(UInt32(0), UInt32(131_072)) == 131_072)
    }

    @Test func refusals() {
        var noPlain = ConnectionHandshake(request)
        guard case .fail = noPlain.receive(.connectionStart(ConnectionStart(versionMajor: 0, versionMinor: 9, mechanisms: "EXTERNAL", locales: "en_US"))) else {
            Issue.record("PLAIN missing must fail")
            return
        }
        var refused = ConnectionHandshake(request)
        _ = refused.receive(.connectionStart(ConnectionStart(versionMajor: 0, versionMinor: 9, mechanisms: "PLAIN", locales: "en_US")))
        let action = refused.receive(.connectionClose(ConnectionClose(replyCode: 403, replyText: "ACCESS_REFUSED - Login was refused", classID: 0, methodID: 0)))
        #expect(action == .fail("the broker closed the connection: 403 ACCESS_REFUSED - Login was refused", close: nil))
        var unexpected = ConnectionHandshake(request)
        guard case .fail(_, let close?) = unexpected.receive(.connectionOpenOk(ConnectionOpenOk())) else {
            Issue.record("out-of-order method must fail with a close")
            return
        }
        #expect(close.replyCode == 505)
    }
}
