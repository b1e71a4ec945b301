/// Where `CoreDriver` hands a core's outputs: the log, the user's screen, the network. The runtime, the simulator
/// and the fuzzer are sinks; each decides what "log", "show" and "send" mean for it.
public protocol CoreSink {
    /// A decision to log. A datagram's own event (send, resend) comes just before the datagram.
    mutating func log(_ event: Event)
    /// A message to show. Every message a drain delivers comes before any datagram of that drain.
    mutating func show(_ delivery: Delivery)
    /// The messages handed to `show` so far must now be out of the process (flushed to stdout or the terminal):
    /// the datagrams that follow acknowledge them. Called once after each run of deliveries, before a datagram.
    mutating func commitDeliveries()
    /// A datagram to send, on the route it names.
    mutating func send(_ transmit: Transmit)
    /// Keys a handshake installed, for a key log: comes before any datagram sealed with them. Secret: never log it.
    mutating func exportKeys(_ entry: KeyLogEntry)
}

extension CoreSink {
    /// Nothing to flush: a sink that shows nothing outside the process (a simulator, a test) has no buffer.
    public mutating func commitDeliveries() {}

    /// No key log: the keys stay in the core.
    public mutating func exportKeys(_ entry: KeyLogEntry) {}
}
