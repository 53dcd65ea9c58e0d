@testable import PPDSServer
import Testing

/// The Host check against DNS rebinding, and the Content-Type check, as plain predicates.
@Suite struct SecurityTests {
    /// Names a page on another site can make resolve to 127.0.0.1, and other Host values that
    /// are no literal loopback address or `localhost` name.
    static let hostile = [
        "127.0.0.1.evil.example", "127.evil.example", "127.0.0.1.evil.example:3847", "127.evil.example:3847",
        "127.0.0.1.nip.io", "localhost.evil.example", "localhost.evil.example:80", "evil.example", "evil.example:3847",
        "evil-localhost", "notlocalhost", "xlocalhost", "localhostx", "localhost.", "localhost..", ".localhost",
        "a..localhost", "-a.localhost", "a_b.localhost", "ⅼocalhost", "local\u{0}host", "localhost\u{0}.evil.example", "127.0.0.1\u{0}.evil.example",
        "127.0.0.1\u{0}", "[::1\u{0}.evil.example]",
        "127.1", "127.0.1", "0x7f.0.0.1", "0x7f000001", "2130706433", "0177.0.0.1", "127.0.0.01", "127.0.0.256",
        "127.0.0.1evil", "127.0.0.1 ", " 127.0.0.1", "127.0.0.1\t", "127.0.0.1%00.evil.example", "127.0.0.1@evil.example",
        "evil.example@127.0.0.1", "user@localhost", "128.0.0.1", "0.0.0.0", "10.0.0.1", "192.168.1.1", "169.254.0.1",
        "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:99999", "127.0.0.1:80:80", "127.0.0.1:-1", "127.0.0.1:+80", "localhost:0x50",
        "[::1].evil.example", "[::1", "::1]", "[::2]", "[::]", "[::ffff:8.8.8.8]", "[::ffff:127.0.0.1]", "[fe80::1%lo]",
        "[::1]:", "[::1]:abc", "[::1]x", "[[::1]]", "::1:80", "[localhost]", "", ":", ":3847",
    ]

    static let loopback = [
        "localhost", "LOCALHOST", "localhost:3847", "app.localhost", "a-b.c.localhost:8080", "127.0.0.1", "127.0.0.1:3847",
        "127.1.2.3", "127.255.255.255:1", "[::1]", "[::1]:3847", "::1", "[0:0:0:0:0:0:0:1]:80", "127.0.0.1:65535",
    ]

    @Test(arguments: hostile)
    func hostileHostsAreRefused(_ host: String) {
        #expect(!LoopbackHost.isLoopback(authority: host), "\(host.debugDescription) was taken for loopback")
    }

    @Test func thereAreEnoughHostileNames() {
        #expect(Self.hostile.count >= 20)
    }

    @Test(arguments: loopback)
    func loopbackHostsAreAccepted(_ host: String) {
        #expect(LoopbackHost.isLoopback(authority: host), "\(host.debugDescription) was refused")
    }

    @Test func bindAddresses() {
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"] { #expect(Security.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "::", "192.168.1.2", "127.evil.example", "127.0.0.1.evil.example", "example.com"] {
            #expect(!Security.isLoopback(host), "\(host)")
        }
    }

    @Test func jsonMediaTypeIsParsedExactly() {
        for value in ["application/json", "APPLICATION/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8",
                      "application/json ; charset=\"utf-8\"", "application/json;", "\tapplication/json "] {
            #expect(MediaType.isJSON(value), "\(value.debugDescription)")
        }
        for value in [nil, "", "application/jsonp", "application/json-patch+json", "application/json5", "application/jsonx; charset=utf-8",
                      "application/json/x", "application/json x", "application / json", "text/json", "application/", "/json",
                      "application/json; charset", "application/json; =utf-8", "application/json; charset=\"utf-8",
                      "text/plain; x=application/json", "application/javascript"] {
            #expect(!MediaType.isJSON(value), "\(String(describing: value).debugDescription)")
        }
    }

    @Test func errorKindsMapToStatusesInOnePlace() {
        let statuses = Dictionary(uniqueKeysWithValues: APIError.Kind.allCases.map { ($0.rawValue, $0.status.code) })
        #expect(statuses == ["usage": 400, "malformed": 400, "unauthorized": 401, "forbidden": 403, "notFound": 404, "conflict": 409,
                             "refused": 409, "invalid": 422, "tooLarge": 413, "unsupportedMediaType": 415, "unavailable": 503, "timeout": 408,
                             "io": 500, "git": 500,
                             "failed": 500])
        let error = APIError(.notFound, "no \"session\"")
        #expect(error.body == #"{"version":1,"error":{"status":404,"kind":"notFound","message":"no \"session\""}}"# + "\n")
    }
}
