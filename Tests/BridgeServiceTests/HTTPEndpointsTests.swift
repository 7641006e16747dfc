@testable import BridgeService
import NIOCore
import NIOHTTP1
import Testing

struct HTTPEndpointsTests {
    private func token(_ value: String) -> [UInt8]? {
        HTTPEndpoints.bearerCredentials(HTTPHeaders([("Authorization", value)]))
    }

    @Test func bearerCredentialsAreParsed() {
        #expect(token("Bearer abc") == Array("abc".utf8))
        #expect(token("bearer abc") == Array("abc".utf8))
        #expect(token("BEARER   abc  ") == Array("abc".utf8))
        #expect(token("Bearer") == nil)
        #expect(token("Bearer ") == nil)
        #expect(token("Bearerabc") == nil)
        #expect(token("Basic YWJj") == nil)
        #expect(HTTPEndpoints.bearerCredentials(HTTPHeaders()) == nil)
    }

    @Test func constantTimeEqualsComparesExactly() {
        let secret = Array("s3cret".utf8)
        #expect(HTTPEndpoints.constantTimeEquals(secret, secret))
        #expect(!HTTPEndpoints.constantTimeEquals(Array("s3cre".utf8), secret))
        #expect(!HTTPEndpoints.constantTimeEquals(Array("s3cret!".utf8), secret))
        #expect(!HTTPEndpoints.constantTimeEquals(Array("s3creT".utf8), secret))
        #expect(!HTTPEndpoints.constantTimeEquals([], secret))
        #expect(HTTPEndpoints.constantTimeEquals([], []))
        // Padding with zeros must not make a shorter token equal.
        #expect(!HTTPEndpoints.constantTimeEquals([0x61], [0x61, 0x00]))
    }
}
