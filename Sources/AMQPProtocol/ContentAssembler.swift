import NIOCore

/// Reassembles content on one channel: a content-carrying method, its header frame and
/// its body frames become one `Content`. Other methods pass straight through.
///
/// Keep one per channel; feed it that channel's frames in order. A zero-size body
/// completes with the header frame (no body frame follows).
public struct ContentAssembler: Sendable {
    /// What a frame turned into.
    public enum Output: Sendable, Hashable {
        /// A method that carries no content.
        case method(Method)
        /// A complete content-carrying method with properties and body.
        case content(Content)
    }

    enum State: Sendable {
        case idle
        case awaitingHeader(Method)
        case awaitingBody(Method, ContentHeader, received: ByteBuffer?)
    }

    var state: State = .idle

    /// The largest declared body accepted; larger is refused from the header.
    public var maximumBodySize: UInt64

    /// - Parameters:
    ///   - maximumBodySize: the largest body to accept (bounds memory against a hostile
    ///     or broken peer); unlimited by default.
    public init(maximumBodySize: UInt64 = .max) {
        self.maximumBodySize = maximumBodySize
    }

    /// Whether a content sequence is in progress.
    public var isAssembling: Bool {
        if case .idle = self.state { return false }
        return true
    }

    /// Takes the next frame payload of this channel.
    ///
    /// - Returns: a method or complete content, or nil while content is incomplete (and
    ///   for heartbeats, which belong to the connection).
    /// - Throws: `AMQPProtocolError.unexpectedFrame` for frames out of order,
    ///   `.bodyLongerThanDeclared`, `.bodyTooLarge`. After an error the assembler is idle
    ///   again; the connection closes anyway.
    public mutating func receive(_ payload: Frame.Payload) throws(AMQPProtocolError) -> Output? {
        switch (self.state, payload) {
        case (_, .heartbeat):
            return nil

        case (.idle, .method(let method)):
            guard method.hasContent else { return .method(method) }
            self.state = .awaitingHeader(method)
            return nil

        case (.awaitingHeader(let method), .header(let header)):
            guard header.classID == method.classID else {
                self.state = .idle
                throw .unexpectedFrame(expected: "content header of class \(method.classID)", received: "class \(header.classID)")
            }
            guard header.bodySize <= self.maximumBodySize else {
                self.state = .idle
                throw .bodyTooLarge(declared: header.bodySize, limit: self.maximumBodySize)
            }
            if header.bodySize == 0 {
                self.state = .idle
                return .content(Content(method: method, properties: header.properties, body: ByteBuffer()))
            }
            self.state = .awaitingBody(method, header, received: nil)
            return nil

        case (.awaitingBody(let method, let header, let received), .body(var body)):
            let total = UInt64(received?.readableBytes ?? 0) + UInt64(body.readableBytes)
            guard total <= header.bodySize else {
                self.state = .idle
                throw .bodyLongerThanDeclared(declared: header.bodySize, received: total)
            }
            var whole: ByteBuffer
            if var received {
                // Avoid the state's copy triggering copy-on-write while appending.
                self.state = .idle
                received.writeBuffer(&body)
                whole = received
            } else if total == header.bodySize {
                whole = body  // the common case: one body frame, a slice, no copy
            } else {
                whole = ByteBuffer()
                whole.reserveCapacity(Int(min(header.bodySize, 64 << 20)))
                whole.writeBuffer(&body)
            }
            if total == header.bodySize {
                self.state = .idle
                return .content(Content(method: method, properties: header.properties, body: whole))
            }
            self.state = .awaitingBody(method, header, received: whole)
            return nil

        case (.idle, _):
            throw .unexpectedFrame(expected: "method", received: Self.describe(payload))
        case (.awaitingHeader(let method), _):
            self.state = .idle
            throw .unexpectedFrame(expected: "content header after \(method.name)", received: Self.describe(payload))
        case (.awaitingBody(let method, _, _), _):
            self.state = .idle
            throw .unexpectedFrame(expected: "body frame after \(method.name)", received: Self.describe(payload))
        }
    }

    static func describe(_ payload: Frame.Payload) -> String {
        switch payload {
        case .method(let method): method.name
        case .header: "content header"
        case .body: "body frame"
        case .heartbeat: "heartbeat"
        }
    }
}
