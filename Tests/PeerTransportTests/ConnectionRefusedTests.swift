import PeerTransport
import Testing

/// How Linux surfaces ICMP port unreachable for UDP, and what this module makes of it.
@Suite("Connection refused (ICMP port unreachable)")
struct ConnectionRefusedTests {
    @Test("an unconnected socket without reports never hears about a closed port")
    func unconnectedIgnoresRefusal() throws {
        let socket = try UDPSocket.onLoopback()
        let closed = try UDPSocket.closedLoopbackAddress()
        try socket.send([1], to: closed)
        // The datagram to ourselves is queued after the ICMP reply to the first one, so waiting for it also waits
        // long enough for any error to have been recorded.
        try socket.send([2], to: socket.localAddress())
        #expect(try socket.waitUntilReady() == .readable)
        #expect(socket.takePendingError() == nil)
        #expect(try socket.receiveBytes().bytes == [2])
        try socket.send([3], to: closed)
    }

    @Test("a connected socket reports connectionRefused through SO_ERROR, once")
    func connectedPendingError() throws {
        let socket = try UDPSocket.onLoopback()
        let closed = try UDPSocket.closedLoopbackAddress()
        try socket.connect(to: closed)
        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady().contains(.error))
        #expect(socket.takePendingError() == .connectionRefused)
        #expect(socket.takePendingError() == nil)
    }

    @Test("a connected socket's next send fails with connectionRefused")
    func connectedSendFails() throws {
        let socket = try UDPSocket.onLoopback()
        let closed = try UDPSocket.closedLoopbackAddress()
        try socket.connect(to: closed)
        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady().contains(.error))
        #expect(throws: SocketError.connectionRefused) {
            try socket.send([2], to: closed)
        }
    }

    @Test("a connected socket's next receive fails with connectionRefused")
    func connectedReceiveFails() throws {
        let socket = try UDPSocket.onLoopback()
        let closed = try UDPSocket.closedLoopbackAddress()
        try socket.connect(to: closed)
        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady().contains(.error))
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(throws: SocketError.connectionRefused) {
            _ = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        }
    }

    @Test("with reports enabled, an unconnected socket learns which destination refused")
    func deliveryFailureNamesDestination() throws {
        let socket = try UDPSocket.onLoopback()
        try socket.enableDeliveryFailureReports()
        let closed = try UDPSocket.closedLoopbackAddress()
        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady() == .error)
        let failure = try socket.takeDeliveryFailure()
        #expect(failure == DeliveryFailure(error: .connectionRefused, destination: closed))
        #expect(try socket.takeDeliveryFailure() == nil)
        #expect(socket.takePendingError() == nil)
        let after = try Poller.wait(sockets: [socket], waker: nil, timeoutMicroseconds: 0)
        #expect(after.readiness == [[]])
    }

    @Test("a refusal from one peer does not fail sends to or receives from another")
    func staleFailureDoesNotLeak() throws {
        let socket = try UDPSocket.onLoopback()
        try socket.enableDeliveryFailureReports()
        let peer = try UDPSocket.onLoopback()
        let closed = try UDPSocket.closedLoopbackAddress()

        try socket.send([1], to: closed)
        #expect(try socket.waitUntilReady() == .error)
        try socket.send([2], to: peer.localAddress())
        #expect(try peer.receiveBytes().bytes == [2])

        try socket.send([3], to: closed)
        #expect(try socket.waitUntilReady() == .error)
        try peer.send([4], to: socket.localAddress())
        #expect(try socket.waitUntilReady().contains(.readable))
        #expect(try socket.receiveBytes().bytes == [4])

        #expect(try socket.takeDeliveryFailure()?.destination == closed)
        #expect(try socket.takeDeliveryFailure()?.destination == closed)
        #expect(try socket.takeDeliveryFailure() == nil)
    }
}
