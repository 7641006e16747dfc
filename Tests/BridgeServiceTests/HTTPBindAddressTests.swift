@testable import BridgeService
import Testing

struct HTTPBindAddressTests {
    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464),
        ("0.0.0.0:9464", "0.0.0.0", 9464),
        ("[::1]:9464", "::1", 9464),
        ("[::]:0", "::", 0),
        ("[fe80::1%eth0]:80", "fe80::1%eth0", 80),
        ("localhost:65535", "localhost", 65535),
        ("  bridge-1.example:1  ", "bridge-1.example", 1),
    ])
    func parses(text: String, host: String, port: Int) throws {
        let address = try BindAddress(parsing: text)
        #expect(address == BindAddress(host: host, port: port))
    }

    @Test(arguments: [
        "", "9464", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:94x4",
        "127.0.0.1:+80", "::1:9464", "[::1]", "[::1]9464", "[::1:9464", "[127.0.0.1]:80", "[]:80",
        "host name:80", "127.0.0.1:0009464",
    ])
    func rejects(text: String) {
        #expect(throws: BindAddress.ParseError.self) {
            try BindAddress(parsing: text)
        }
    }

    @Test func errorSaysWhatWouldBeRight() {
        #expect {
            try BindAddress(parsing: "::1:9464")
        } throws: { error in
            let description = String(describing: error)
            return description.contains("'::1:9464'") && description.contains("brackets")
                && description.contains("[::1]:9464")
        }
    }

    @Test func offDisables() throws {
        #expect(try BindAddress.parseSetting("off") == nil)
        #expect(try BindAddress.parseSetting("OFF") == nil)
        #expect(try BindAddress.parseSetting("127.0.0.1:9464") == .default)
    }

    @Test func descriptionRoundTrips() throws {
        for text in ["127.0.0.1:9464", "[::1]:9464", "localhost:80"] {
            #expect(try BindAddress(parsing: text).description == text)
        }
    }
}
