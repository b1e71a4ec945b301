import Glibc
import PeerTransport
import Testing

@Suite("UDPSocket on IPv4 loopback")
struct UDPSocketTests {
    @Test("binding port 0 yields a system-chosen port")
    func ephemeralPort() throws {
        let socket = try UDPSocket.onLoopback()
        let local = try socket.localAddress()
        #expect(local.port != 0)
        #expect(local.host == "127.0.0.1")
        #expect(socket.family == .ipv4)
        #expect(socket.fileDescriptor >= 0)
    }

    @Test("a datagram arrives intact with the sender's address")
    func roundTrip() throws {
        let sender = try UDPSocket.onLoopback()
        let receiver = try UDPSocket.onLoopback()
        let message: [UInt8] = Array("hello, peer".utf8)
        try sender.send(message, to: receiver.localAddress())
        let (bytes, datagram) = try receiver.receiveBytes()
        #expect(bytes == message)
        #expect(datagram.count == message.count)
        #expect(!datagram.truncated)
        #expect(datagram.source == (try sender.localAddress()))
    }

    @Test("a wildcard-bound socket receives on loopback and can answer")
    func wildcardBind() throws {
        let server = try UDPSocket.bound(family: .ipv4, port: 0)
        let port = try server.localAddress().port
        #expect(try server.localAddress().host == "0.0.0.0")
        let client = try UDPSocket.onLoopback()
        try client.send([1, 2, 3], to: .loopback(port: port))
        let (request, datagram) = try server.receiveBytes()
        #expect(request == [1, 2, 3])
        try server.send([4], to: datagram.source)
        #expect(try client.receiveBytes().bytes == [4])
    }

    @Test("an empty datagram is delivered as zero bytes")
    func emptyDatagram() throws {
        let sender = try UDPSocket.onLoopback()
        let receiver = try UDPSocket.onLoopback()
        try sender.send([], to: receiver.localAddress())
        let (bytes, datagram) = try receiver.receiveBytes()
        #expect(bytes.isEmpty)
        #expect(!datagram.truncated)
    }

    @Test("binding a port in use names that port")
    func addressInUse() throws {
        let first = try UDPSocket.onLoopback()
        let taken = try first.localAddress()
        #expect(throws: SocketError.addressInUse(port: taken.port)) {
            _ = try UDPSocket.bound(to: taken)
        }
        let wildcard = try UDPSocket.bound(family: .ipv4, port: 0)
        let wildcardPort = try wildcard.localAddress().port
        #expect(throws: SocketError.addressInUse(port: wildcardPort)) {
            _ = try UDPSocket.bound(family: .ipv4, port: wildcardPort)
        }
        #expect(SocketError.addressInUse(port: wildcardPort).description == "port \(wildcardPort) is already in use")
    }

    @Test("a datagram longer than the buffer is cut and reported as truncated")
    func truncation() throws {
        let sender = try UDPSocket.onLoopback()
        let receiver = try UDPSocket.onLoopback()
        let message = (0..<100).map { UInt8($0) }
        try sender.send(message, to: receiver.localAddress())
        let (bytes, datagram) = try receiver.receiveBytes(capacity: 10)
        #expect(datagram.truncated)
        #expect(datagram.count == 10)
        #expect(bytes == Array(message.prefix(10)))

        try sender.send(Array(message.prefix(10)), to: receiver.localAddress())
        let exact = try receiver.receiveBytes(capacity: 10)
        #expect(!exact.datagram.truncated)
        #expect(exact.bytes == Array(message.prefix(10)))
    }

    @Test("receiving with nothing waiting throws wouldBlock instead of blocking")
    func wouldBlock() throws {
        let socket = try UDPSocket.onLoopback()
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(throws: SocketError.wouldBlock) {
            _ = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0) }
        }
    }

    @Test("a blocking socket can be opened and used")
    func blockingSocket() throws {
        let receiver = try UDPSocket.bound(to: .loopback(port: 0), nonBlocking: false)
        let sender = try UDPSocket.onLoopback()
        try sender.send([9], to: receiver.localAddress())
        #expect(try receiver.receiveBytes().bytes == [9])
    }

    @Test("an IPv6 destination is refused by an IPv4 socket without sending")
    func familyMismatch() throws {
        let socket = try UDPSocket.onLoopback()
        #expect(throws: SocketError.addressFamilyNotSupported) {
            try socket.send([1], to: .loopback(.ipv6, port: 9))
        }
    }

    @Test("close is idempotent and later calls fail with a named error")
    func closing() throws {
        let socket = try UDPSocket.onLoopback()
        let target = try socket.localAddress()
        socket.close()
        socket.close()
        #expect(socket.fileDescriptor == -1)
        #expect(throws: SocketError.other(call: "sendto", errno: EBADF)) {
            try socket.send([1], to: target)
        }
        #expect(throws: SocketError.other(call: "getsockname", errno: EBADF)) {
            _ = try socket.localAddress()
        }
    }

    @Test("buffer sizes are applied and reported back")
    func bufferSizes() throws {
        let socket = try UDPSocket.onLoopback()
        #expect(socket.setReceiveBufferSize(64 * 1024) > 0)
        #expect(socket.setSendBufferSize(64 * 1024) > 0)
    }

    @Test("a fresh socket has no pending error")
    func noPendingError() throws {
        let socket = try UDPSocket.onLoopback()
        #expect(socket.takePendingError() == nil)
        #expect(try socket.takeDeliveryFailure() == nil)
    }
}
