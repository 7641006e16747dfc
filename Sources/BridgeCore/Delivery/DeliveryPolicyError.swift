/// A policy that cannot work, with the route-file key it comes from.
public struct DeliveryPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The key, relative to the route (`on_error.exhausted`).
    public var field: String
    public var message: String

    public var description: String { "\(field): \(message)" }
}
