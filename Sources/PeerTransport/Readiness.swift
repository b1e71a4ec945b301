/// What `Poller.wait` found a socket ready for.
public struct Readiness: OptionSet, Sendable, Hashable {
    /// The raw flag bits.
    public let rawValue: UInt8

    /// Wraps raw flag bits.
    ///
    /// - Parameter rawValue: Bits as produced by the `static` members.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// At least one datagram is waiting, so `receive` will not block.
    public static let readable = Readiness(rawValue: 1 << 0)
    /// The socket holds an asynchronous error: collect it with `UDPSocket.takeDeliveryFailure()` (when reports are
    /// enabled) or `UDPSocket.takePendingError()`, or the socket stays in this state.
    public static let error = Readiness(rawValue: 1 << 1)
}
