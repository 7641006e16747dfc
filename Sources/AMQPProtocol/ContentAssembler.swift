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
        /// `received` counts the body bytes so far; they are in `body` once two or more
        /// frames are needed.
        case awaitingBody(Method, ContentHeader, received: UInt64)
    }

    var state: State = .idle
    /// The body being assembled from several frames. Kept out of `state` so appending
    /// mutates it in place instead of copying it on every frame.
    var body = ByteBuffer()

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
            self.state = .awaitingBody(method, header, received: 0)
            return nil

        case (.awaitingBody(let method, let header, let received), .body(var piece)):
            let total = received + UInt64(piece.readableBytes)
            guard total <= header.bodySize else {
                self.reset()
                throw .bodyLongerThanDeclared(declared: header.bodySize, received: total)
            }
            if received == 0, total == header.bodySize {
                // The common case: the whole body in one frame, delivered as a slice, no copy.
                self.state = .idle
                return .content(Content(method: method, properties: header.properties, body: piece))
            }
            if received == 0 {
                self.body.clear()
                self.body.reserveCapacity(Int(min(header.bodySize, 16 << 20)))
            }
            self.body.writeBuffer(&piece)
            guard total == header.bodySize else {
                self.state = .awaitingBody(method, header, received: total)
                return nil
            }
            let whole = self.body
            self.reset()
            return .content(Content(method: method, properties: header.properties, body: whole))

        case (.idle, _):
            throw .unexpectedFrame(expected: "method", received: Self.describe(payload))
        case (.awaitingHeader(let method), _):
            self.reset()
            throw .unexpectedFrame(expected: "content header after \(method.name)", received: Self.describe(payload))
        case (.awaitingBody(let method, _, _), _):
            self.reset()
            throw .unexpectedFrame(expected: "body frame after \(method.name)", received: Self.describe(payload))
        }
    }

    mutating func reset() {
        self.state = .idle
        self.body = ByteBuffer()
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
