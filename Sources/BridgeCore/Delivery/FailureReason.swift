/// The reason words of CONTRACT section 5 (`reason` label).
public enum FailureReason {
    public static let tooLarge = "too_large"
    public static let template = "template"
    public static let notAllowed = "not_allowed"
    public static let unroutable = "unroutable"
    public static let expired = "expired"
    public static let loop = "loop"
    public static let rejected = "rejected"
    // Transient reasons adapters commonly use.
    /// The connection to the destination was lost before the broker confirmed: retried
    /// until it is back, without using up `retry.attempts` (CONTRACT 5.8).
    public static let connectionLost = "connection_lost"
    public static let nack = "nack"
    public static let timeout = "timeout"

    /// The reasons that are permanent by definition: they skip retries.
    public static let permanent: Set<String> = [tooLarge, template, notAllowed, unroutable, expired, loop, rejected]
}
