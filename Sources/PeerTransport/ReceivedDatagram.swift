/// What `UDPSocket.receive(into:)` learned about one datagram it placed in the caller's buffer.
public struct ReceivedDatagram: Sendable, Equatable {
    /// How many bytes were written to the buffer; never more than the buffer's size.
    public var count: Int
    /// Who sent the datagram. IPv4 peers of a dual-stack IPv6 socket appear as plain IPv4 addresses.
    public var source: SocketAddress
    /// True when the datagram was longer than the buffer and its tail was discarded.
    public var truncated: Bool

    /// Describes one received datagram.
    ///
    /// - Parameters:
    ///   - count: Bytes written to the buffer.
    ///   - source: The sender's address.
    ///   - truncated: Whether the datagram did not fit.
    public init(count: Int, source: SocketAddress, truncated: Bool) {
        self.count = count
        self.source = source
        self.truncated = truncated
    }
}
