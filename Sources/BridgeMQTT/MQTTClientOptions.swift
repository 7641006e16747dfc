import BridgeCore
import MQTTProtocol
import NIOCore

/// What one MQTT client connection sends in CONNECT and how it reconnects.
struct MQTTClientOptions: Sendable {
    /// The connection name from the route file (logs).
    var connectionName: String
    var clientID: String
    var version: MQTTVersion
    var urls: [BrokerURL]
    /// False for a persistent session (route sources); true for the publisher, which
    /// fails unconfirmed publishes on a disconnect and lets the core retry them.
    var cleanStart: Bool
    /// MQTT 5 session expiry in seconds (0 with a clean start).
    var sessionExpiry: UInt32
    var keepalive: TimeAmount
    var username: String?
    var password: String?
    /// MQTT 5 receive-maximum (the route window); nil leaves the broker's default (65,535).
    var receiveMaximum: UInt16?
    /// MQTT 5: how many topic aliases the broker may use towards us.
    var topicAliasMaximum: UInt16 = 64
    var reconnect: ReconnectSettings
    /// `tls:` (CA, client certificate, verify, server name), used for `mqtts://` URLs.
    var tls: TLSSettings?
    var connectTimeout: TimeAmount = .seconds(10)

    /// Options for one client of a configured connection.
    ///
    /// - Parameters:
    ///   - name: The connection name.
    ///   - settings: Its settings.
    ///   - clientID: The full client id (`<client_id>-<instance>-<route>` or `-pub`).
    ///   - persistent: True for a source route (clean start false + session expiry).
    ///   - receiveMaximum: The route window (sources).
    init(name: String, settings: MQTTConnectionSettings, clientID: String, persistent: Bool, receiveMaximum: Int?) {
        self.connectionName = name
        self.clientID = clientID
        self.version = settings.version == .v5 ? .v5 : .v311
        self.urls = settings.urls
        self.cleanStart = !persistent
        let seconds = settings.sessionExpiry.nanoseconds / 1_000_000_000
        self.sessionExpiry = persistent ? UInt32(clamping: max(seconds, 1)) : 0
        self.keepalive = settings.keepalive
        self.username = settings.username ?? settings.urls.first?.username
        self.password = settings.password?.value ?? settings.urls.first?.password?.value
        self.receiveMaximum = receiveMaximum.map { UInt16(clamping: max(1, $0)) }
        self.reconnect = settings.reconnect
        self.tls = settings.tls
    }

    /// The keepalive in whole seconds as CONNECT carries it (at least 1 when set).
    var keepaliveSeconds: UInt16 {
        let seconds = keepalive.nanoseconds / 1_000_000_000
        if keepalive.nanoseconds > 0 && seconds == 0 { return 1 }
        return UInt16(clamping: seconds)
    }

    /// The CONNECT packet.
    func connectPacket() -> MQTTPacket.Connect {
        var properties = MQTTProperties()
        if version == .v5 {
            if sessionExpiry > 0 { properties.append(.sessionExpiryInterval(sessionExpiry)) }
            if let receiveMaximum { properties.append(.receiveMaximum(receiveMaximum)) }
            if topicAliasMaximum > 0 { properties.append(.topicAliasMaximum(topicAliasMaximum)) }
        }
        return MQTTPacket.Connect(
            version: version,
            clientID: clientID,
            cleanStart: cleanStart,
            keepAlive: keepaliveSeconds,
            username: username,
            password: password.map { ByteBuffer(string: $0) },
            properties: properties
        )
    }
}
