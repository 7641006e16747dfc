/// What a route reports on /readyz.
public enum RouteState: String, Sendable, Hashable {
    case consuming
    /// A message is retried under `exhausted: block` after its retries ran out.
    case blocked
    /// The window is full, or the route drains.
    case paused
}
