import PeerTransport
import Testing

@Suite("SocketAddress")
struct SocketAddressTests {
    @Test("parses an IPv4 literal")
    func parsesIPv4() throws {
        let address = try #require(SocketAddress(numericHost: "192.0.2.7", port: 4000))
        #expect(address.family == .ipv4)
        #expect(address.host == "192.0.2.7")
        #expect(address.port == 4000)
        #expect(address.description == "192.0.2.7:4000")
    }

    @Test("parses IPv6 literals into canonical text, bracketed in descriptions")
    func parsesIPv6() throws {
        let loopback = try #require(SocketAddress(numericHost: "::1", port: 4000))
        #expect(loopback.family == .ipv6)
        #expect(loopback.host == "::1")
        #expect(loopback.description == "[::1]:4000")
        let documentation = try #require(SocketAddress(numericHost: "2001:DB8:0:0::1", port: 1))
        #expect(documentation.host == "2001:db8::1")
        let mapped = try #require(SocketAddress(numericHost: "::ffff:127.0.0.1", port: 2))
        #expect(mapped.family == .ipv6)
        #expect(mapped.host == "::ffff:127.0.0.1")
    }

    @Test("parses an IPv6 zone given by index or interface name")
    func parsesZones() throws {
        let byIndex = try #require(SocketAddress(numericHost: "fe80::1%1", port: 5))
        #expect(byIndex.host == "fe80::1%1")
        #expect(SocketAddress(numericHost: "fe80::1%lo", port: 5) != nil)
        #expect(SocketAddress(numericHost: "fe80::1%no-such-interface", port: 5) == nil)
        #expect(SocketAddress(numericHost: "fe80::1%", port: 5) == nil)
    }

    @Test(
        "rejects text that is not an address literal",
        arguments: [
            "999.1.1.1", "", "abc", "1.2.3", "127.1", "1.2.3.4.5", " 127.0.0.1", "127.0.0.1 ", "::g", ":::",
            "[::1]", "127.0.0.1:80", "localhost", "%1",
        ]
    )
    func rejectsGarbage(text: String) {
        #expect(SocketAddress(numericHost: text, port: 1) == nil)
    }

    @Test("rejects text with an embedded NUL, which C would silently cut short")
    func rejectsEmbeddedNul() {
        #expect(SocketAddress(numericHost: "1.2.3.4\u{0}garbage", port: 1) == nil)
        #expect(SocketAddress(numericHost: "::1\u{0}", port: 1) == nil)
    }

    @Test("builds the loopback addresses")
    func loopback() {
        #expect(SocketAddress.loopback(port: 9).description == "127.0.0.1:9")
        #expect(SocketAddress.loopback(.ipv6, port: 9).description == "[::1]:9")
        #expect(SocketAddress.loopback(port: 9) == SocketAddress(numericHost: "127.0.0.1", port: 9))
    }

    @Test("equality includes the port; withPort replaces only the port")
    func equalityAndWithPort() throws {
        let address = try #require(SocketAddress(numericHost: "10.1.2.3", port: 100))
        #expect(address != address.withPort(101))
        #expect(address.withPort(101).port == 101)
        #expect(address.withPort(101).host == "10.1.2.3")
        #expect(address.withPort(101).withPort(100) == address)
        #expect(Set([address, address.withPort(100), address.withPort(7)]).count == 2)
    }

    @Test("isSameHost ignores ports and treats IPv4-mapped IPv6 as IPv4")
    func sameHost() throws {
        let plain = try #require(SocketAddress(numericHost: "127.0.0.1", port: 1))
        let mapped = try #require(SocketAddress(numericHost: "::ffff:127.0.0.1", port: 2))
        let other = try #require(SocketAddress(numericHost: "127.0.0.2", port: 1))
        #expect(plain.isSameHost(as: mapped))
        #expect(mapped.isSameHost(as: plain))
        #expect(plain.isSameHost(as: plain.withPort(9)))
        #expect(!plain.isSameHost(as: other))
        #expect(!plain.isSameHost(as: .loopback(.ipv6, port: 1)))
        #expect(plain != mapped)
    }

    @Test("resolves localhost to a loopback address with the requested port")
    func resolvesLocalhost() throws {
        let address = try SocketAddress.resolve(host: "localhost", port: 4000)
        #expect(address.port == 4000)
        #expect(address.isSameHost(as: .loopback(port: 0)) || address.isSameHost(as: .loopback(.ipv6, port: 0)))
    }

    @Test("resolves literals without the resolver")
    func resolvesLiterals() throws {
        #expect(try SocketAddress.resolve(host: "192.0.2.1", port: 7).description == "192.0.2.1:7")
        #expect(try SocketAddress.resolve(host: "::1", port: 7).description == "[::1]:7")
    }

    @Test("an unresolvable name throws hostNotFound naming the host", arguments: ["no-such-host.invalid", ""])
    func unresolvable(host: String) {
        expectHostNotFound(host)
    }

    @Test("a name with an embedded NUL is refused before reaching the resolver")
    func embeddedNulName() {
        expectHostNotFound("localhost\u{0}.invalid")
    }

    private func expectHostNotFound(_ host: String) {
        #expect {
            _ = try SocketAddress.resolve(host: host, port: 1)
        } throws: { error in
            guard case .hostNotFound(let name, let reason) = error as? SocketError else {
                return false
            }
            return name == host && !reason.isEmpty
        }
    }
}
