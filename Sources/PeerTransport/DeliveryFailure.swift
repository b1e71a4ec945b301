/// A report that an earlier datagram could not be delivered, taken from a socket's error queue.
///
/// Linux learns of such failures from ICMP messages (port or host unreachable, fragmentation needed) some time after
/// `send` has already succeeded. See `UDPSocket.enableDeliveryFailureReports()`.
public struct DeliveryFailure: Sendable, Equatable {
    /// What went wrong, e.g. `.connectionRefused` when nothing listens on the destination port.
    public var error: SocketError
    /// Where the failed datagram was addressed (IPv4-mapped addresses reported as IPv4); nil if the kernel gave none.
    public var destination: SocketAddress?

    /// Describes one delivery failure.
    ///
    /// - Parameters:
    ///   - error: The failure.
    ///   - destination: The failed datagram's destination, if known.
    public init(error: SocketError, destination: SocketAddress?) {
        self.error = error
        self.destination = destination
    }
}
