import PeerTransport

/// Waiting and receiving helpers so tests synchronise on real readiness, never on sleeps.
extension UDPSocket {
    /// Generous enough for a loaded machine; only a broken implementation ever waits this long.
    static let testTimeoutMicroseconds: Int64 = 5_000_000

    /// Waits until the socket is ready for something and reports what.
    func waitUntilReady() throws(SocketError) -> Readiness {
        let result = try Poller.wait(sockets: [self], waker: nil, timeoutMicroseconds: Self.testTimeoutMicroseconds)
        return result.readiness.first ?? []
    }

    /// Opens a non-blocking socket on 127.0.0.1 with a system-chosen port.
    static func onLoopback(_ family: SocketAddress.Family = .ipv4) throws(SocketError) -> UDPSocket {
        try UDPSocket.bound(to: .loopback(family, port: 0))
    }

    /// Waits for one datagram and returns its bytes and metadata.
    func receiveBytes(capacity: Int = 2048) throws(SocketError) -> (bytes: [UInt8], datagram: ReceivedDatagram) {
        _ = try waitUntilReady()
        var buffer = [UInt8](repeating: 0, count: capacity)
        let outcome = buffer.withUnsafeMutableBytes { raw -> Result<ReceivedDatagram, SocketError> in
            do throws(SocketError) {
                return .success(try receive(into: raw))
            } catch {
                return .failure(error)
            }
        }
        let datagram = try outcome.get()
        return (Array(buffer.prefix(datagram.count)), datagram)
    }

    /// An address on 127.0.0.1 where nothing listens: a port just released by a socket of our own.
    static func closedLoopbackAddress(_ family: SocketAddress.Family = .ipv4) throws(SocketError) -> SocketAddress {
        let socket = try onLoopback(family)
        let address = try socket.localAddress()
        socket.close()
        return address
    }
}
