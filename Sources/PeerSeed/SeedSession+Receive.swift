import PeerSession
import PeerWire

extension SeedSession {
    /// Takes a datagram from the original. Anything that is not `TEXT -COUNT` or `TEXT -resend` in UTF-8 is
    /// refused with a `reject` event and changes nothing.
    public mutating func receive(_ bytes: [UInt8], now: Instant) {
        bytes.withUnsafeBytes { receive($0, now: now) }
    }

    /// Takes a datagram straight from a receive buffer; see `receive(_:now:)`.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant) {
        if case .closed = state { return }
        let datagram: SeedDatagram
        do {
            datagram = try SeedDatagram.decode(bytes)
        } catch {
            statistics.rejected += 1
            record(.reject(reason: error.description, bytes: bytes.count))
            return
        }
        statistics.datagramsReceived += 1
        lastHeard = now
        switch datagram {
        case .first(let text, let count):
            if isRecorded(.message) {
                record(.receive(kind: .data, sequence: shownCount + 1, segments: 1, transmission: nil, ack: count,
                                sack: [], bytes: bytes.count))
            }
            // The original sends a burst in one go, so a line of its own means the burst, if any, is over.
            bursts.endBurst()
            show(text)
            takeCount(count, now: now)
        case .resend(let text):
            if lastReplayArrival.map({ now - $0 > configuration.burstGap }) ?? true,
               let sent = lastFirstTransmissionAt, now - sent <= configuration.burstAnswerWindow {
                let sample = now - sent
                measuredRoundTrip = min(measuredRoundTrip ?? sample, sample)
                statistics.smoothedRoundTrip = measuredRoundTrip
            }
            lastReplayArrival = now
            // A replay carries no count: the field shows the latest count the original has sent.
            if isRecorded(.message) {
                record(.receive(kind: .resend, sequence: nil, segments: 1, transmission: nil, ack: peerCount ?? 0,
                                sack: [], bytes: bytes.count))
            }
            let positions = shownPositions[text] ?? []
            switch bursts.judge(text, shown: positions.count, now: now, gap: configuration.burstGap) {
            case .duplicate(let occurrence):
                statistics.duplicates += 1
                let sequence = positions.indices.contains(occurrence - 1) ? positions[occurrence - 1] : 0
                record(.duplicate(sequence: sequence, count: shownCount))
            case .new:
                show(text)
            case .uncertain:
                show(text)
                note("shown possibly twice: a replay burst repeats this text and its place in the original's log"
                     + " is uncertain", sequence: UInt64(shownCount))
            }
        }
    }

    /// Shows one of the original's messages and counts it.
    private mutating func show(_ text: String) {
        shownCount += 1
        shownPositions[text, default: []].append(shownCount)
        statistics.messagesDelivered += 1
        deliveries.push(Delivery(from: configuration.peerName, text: text, sequence: shownCount))
        if isRecorded(.message) { record(.deliver(sequence: shownCount, count: shownCount, bytes: text.utf8.count)) }
    }
}
