/// The size rule of CONTRACT section 5.6: a message bigger than the route's
/// `max_message_size`, or than a limit the destination announced, is never sent.
public enum MessageSize {
    /// The permanent `too_large` failure for a message of `size` bytes, or nil when it fits.
    ///
    /// - Parameters:
    ///   - size: The bytes the message takes on the wire that count against the limits
    ///     (payload, key and headers).
    ///   - routeLimit: The route's `max_message_size`.
    ///   - destinationLimit: The destination's own limit, when it announced one, and its name
    ///     for the error message (e.g. `message.max.bytes`).
    public static func check(size: Int, routeLimit: Int, destinationLimit: (bytes: Int, name: String)? = nil) -> PublishFailure? {
        if size > routeLimit {
            return .permanent(FailureReason.tooLarge, "message of \(size) bytes exceeds max_message_size \(routeLimit)")
        }
        if let destinationLimit, size > destinationLimit.bytes {
            return .permanent(
                FailureReason.tooLarge,
                "message of \(size) bytes exceeds the destination's \(destinationLimit.name) \(destinationLimit.bytes)"
            )
        }
        return nil
    }
}
