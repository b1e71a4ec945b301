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
                record(.receive(kind: .data, sequence: log.receivedCount + 1, segments: 1, transmission: nil,
                                ack: count, sack: [], bytes: bytes.count))
            }
            // The original sends a burst in one go, so a line of its own means the burst, if any, is over.
            bursts.endBurst()
            judged(log.firstTransmission(text, now: now))
            showSettled(now: now)
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
            let starts = bursts.replayStartsBurst(now: now, gap: configuration.burstGap)
            judged(log.replay(text, now: now, startsBurst: starts, tracker: &bursts))
            showSettled(now: now)
        }
    }

    private mutating func judged(_ verdict: OriginalLog.Verdict) {
        guard case .duplicate(let position) = verdict else { return }
        statistics.duplicates += 1
        record(.duplicate(sequence: position, count: log.receivedCount))
    }

    /// Shows every held line that is settled by `now`.
    mutating func showSettled(now: Instant) {
        log.releaseDue(now: now)
        deliverReleased()
    }

    /// Hands over, in order, the lines the log has released.
    mutating func deliverReleased() {
        while let release = log.nextRelease() {
            statistics.messagesDelivered += 1
            deliveries.push(Delivery(from: configuration.peerName, text: release.text, sequence: release.position))
            if isRecorded(.message) {
                record(.deliver(sequence: release.position, count: log.receivedCount, bytes: release.text.utf8.count))
            }
            if release.late {
                note("shown late: the original's replays put it before a line already shown",
                     sequence: release.position)
            }
        }
    }
}
