/// The protocol revision spoken on a connection.
///
/// The raw value is the protocol level byte of CONNECT.
public enum MQTTVersion: UInt8, Sendable, Hashable, CaseIterable {
    /// MQTT 3.1.1 (protocol level 4).
    case v311 = 4
    /// MQTT 5.0 (protocol level 5).
    case v5 = 5
}
