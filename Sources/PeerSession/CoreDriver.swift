/// The one order in which every driver (the runtime, the simulator, the fuzzer) empties a core after an input.
///
/// After each input (`submit`, `receive`, `finishInput`, `interrupt`, `handleTimeout`), call `drain`. It hands the
/// core's outputs to a sink in this order:
///
/// 0. key-log entries (only a secure channel asked to export its keys has any), so a key log holds the keys of a
///    datagram before the datagram leaves: a capture taken beside it can always be opened with it;
/// 1. events, so "bob is here" is logged before bob's first message;
/// 2. deliveries, then `commitDeliveries()`: show before acknowledging — every datagram carries our count, which
///    tells the other side it may forget what we delivered, so what we delivered must be shown first, or a peer
///    killed in between would lose lines the other side never sends again;
/// 3. datagrams, each just after the events its building produced (its `send` or `resend`), with steps 1 and 2
///    repeated before each one in case building it produced more.
///
/// Keeping the order here, once, is what makes the simulator count what the runtime does.
public enum CoreDriver {
    /// The most waiting lines a driver hands a core between two drains: everything already typed travels packed
    /// (`lens=`), while a long paste still gets its first datagrams out after a bounded amount of work.
    public static let inputBatch = 256

    /// Empties `core` into `sink` in the order above, until it has nothing more to say at `now`.
    public static func drain<Core: MessengerCore, Sink: CoreSink>(
        _ core: inout Core, now: Instant, into sink: inout Sink
    ) {
        while true {
            // Keys are installed only by inputs (a handshake message read), never while datagrams are polled, so
            // one look per round finds them before the first datagram sealed with them.
            while let entry = core.pollKeyLogEntry() { sink.exportKeys(entry) }
            while let event = core.pollEvent() { sink.log(event) }
            var delivered = false
            while let delivery = core.pollDelivery() {
                sink.show(delivery)
                delivered = true
            }
            if delivered { sink.commitDeliveries() }
            guard let transmit = core.pollTransmit(now: now) else { break }
            while let event = core.pollEvent() { sink.log(event) }
            sink.send(transmit)
        }
    }
}
