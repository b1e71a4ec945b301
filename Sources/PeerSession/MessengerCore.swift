/// What a runtime drives: a sans-I/O conversation core. `Session` (the peer protocol) is one; a core speaking
/// another wire format (the original classroom clients', for instance) can be another, under the same runtime.
///
/// The call order: an input with the current time, then `CoreDriver.drain` (key-log entries, events, then
/// deliveries, then datagrams: show before acknowledging), then wait until `nextTimeout()` or the next input. Drive
/// a core only through `CoreDriver`, so every driver keeps that order.
public protocol MessengerCore: Sendable {
    /// Queues a message typed by the user.
    mutating func submit(_ text: String, now: Instant) throws(SubmitError)
    /// Takes a datagram from the destination host.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant)
    /// Takes a datagram that came from `source` (its sending socket's address, not necessarily a listen address).
    mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: PeerAddress, now: Instant)
    /// Whether a datagram from `source` is worth reading at all: a two-party core takes only its destination's
    /// host (the runtime checks), a group core also hosts it has members on, and initiations from anywhere.
    func admits(from source: PeerAddress, firstByte: UInt8) -> Bool?
    /// The user's input has ended.
    mutating func finishInput(now: Instant)
    /// Stop at once.
    mutating func interrupt(now: Instant)
    /// A deadline from `nextTimeout()` has passed.
    mutating func handleTimeout(now: Instant)
    /// The next datagram to send, if any.
    mutating func pollTransmit(now: Instant) -> Transmit?
    /// The next message to show, if any.
    mutating func pollDelivery() -> Delivery?
    /// The next event to log, if any.
    mutating func pollEvent() -> Event?
    /// When `handleTimeout` is next needed.
    func nextTimeout() -> Instant?
    /// Where the conversation is in its life.
    var state: SessionState { get }
    /// Counters for the summary.
    var statistics: SessionStatistics { get }
    /// Whether to hand over more input now.
    var acceptsInput: Bool { get }
    /// Which categories of event to build.
    var recordedCategories: Set<EventCategory> { get set }
    /// The next key-log entry: keys a handshake just installed, from a core asked to export them (a secure channel
    /// with `exportsKeys`); a core without keys never has one.
    mutating func pollKeyLogEntry() -> KeyLogEntry?
}

extension MessengerCore {
    /// A two-party core has one source: where a datagram came from changes nothing.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: PeerAddress, now: Instant) {
        receive(bytes, now: now)
    }

    /// A two-party core leaves the check to the runtime (nil): only its destination host is read.
    public func admits(from source: PeerAddress, firstByte: UInt8) -> Bool? { nil }

    /// A core that seals nothing has no keys to log.
    public mutating func pollKeyLogEntry() -> KeyLogEntry? { nil }
}

extension Session: MessengerCore {}
