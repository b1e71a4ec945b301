import PeerTransport
import Testing

/// Asserts whatever this machine supports: full behaviour with IPv6 loopback, a clean named failure without it.
@Suite("IPv6 and dual stack")
struct IPv6Tests {
    @Test("IPv6 loopback round trip, or a named failure when the machine has no ::1")
    func loopbackRoundTrip() throws {
        guard IPv6Support.hasLoopback else {
            #expect(throws: SocketError.self) {
                _ = try UDPSocket.onLoopback(.ipv6)
            }
            return
        }
        let sender = try UDPSocket.onLoopback(.ipv6)
        let receiver = try UDPSocket.onLoopback(.ipv6)
        #expect(sender.family == .ipv6)
        #expect(try receiver.localAddress().host == "::1")
        try sender.send([6, 6], to: receiver.localAddress())
        let (bytes, datagram) = try receiver.receiveBytes()
        #expect(bytes == [6, 6])
        #expect(datagram.source == (try sender.localAddress()))
        #expect(datagram.source.description.hasPrefix("[::1]:"))
    }

    @Test("a dual-stack socket hears IPv4 peers, reports them as IPv4 and can answer them")
    func dualStack() throws {
        guard IPv6Support.hasLoopback else {
            return
        }
        let server = try UDPSocket.bound(family: .ipv6, port: 0, dualStack: true)
        let port = try server.localAddress().port
        #expect(try server.localAddress().host == "::")
        let client = try UDPSocket.onLoopback(.ipv4)
        try client.send([4], to: .loopback(.ipv4, port: port))
        let (bytes, datagram) = try server.receiveBytes()
        #expect(bytes == [4])
        #expect(datagram.source.family == .ipv4)
        #expect(datagram.source == (try client.localAddress()))
        try server.send([6], to: datagram.source)
        let reply = try client.receiveBytes()
        #expect(reply.bytes == [6])
        #expect(reply.datagram.source == .loopback(.ipv4, port: port))
    }

    @Test("an IPv6-only socket does not take the IPv4 port of the same number")
    func ipv6OnlyLeavesIPv4Alone() throws {
        guard IPv6Support.hasLoopback else {
            return
        }
        let ipv6 = try UDPSocket.bound(family: .ipv6, port: 0)
        let port = try ipv6.localAddress().port
        // If the IPv4 port happens to be taken by someone else, that is the only acceptable failure.
        do {
            let ipv4 = try UDPSocket.bound(family: .ipv4, port: port)
            #expect(try ipv4.localAddress().port == port)
        } catch {
            #expect(error == .addressInUse(port: port))
        }
        let dual = try UDPSocket.bound(family: .ipv6, port: 0, dualStack: true)
        let dualPort = try dual.localAddress().port
        #expect(throws: SocketError.addressInUse(port: dualPort)) {
            _ = try UDPSocket.bound(family: .ipv4, port: dualPort)
        }
    }

    @Test("a dual-stack socket's delivery failure for an IPv4 peer names it as IPv4")
    func dualStackDeliveryFailure() throws {
        guard IPv6Support.hasLoopback else {
            return
        }
        let socket = try UDPSocket.bound(family: .ipv6, port: 0, dualStack: true)
        try socket.enableDeliveryFailureReports()
        let closed = try UDPSocket.closedLoopbackAddress(.ipv4)
        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady() == .error)
        #expect(try socket.takeDeliveryFailure() == DeliveryFailure(error: .connectionRefused, destination: closed))
    }

    @Test("an IPv6 socket's delivery failure names the IPv6 destination")
    func ipv6DeliveryFailure() throws {
        guard IPv6Support.hasLoopback else {
            return
        }
        let socket = try UDPSocket.onLoopback(.ipv6)
        try socket.enableDeliveryFailureReports()
        let closed = try UDPSocket.closedLoopbackAddress(.ipv6)
        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady() == .error)
        #expect(try socket.takeDeliveryFailure() == DeliveryFailure(error: .connectionRefused, destination: closed))
    }
}
