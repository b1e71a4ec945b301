import PeerSession
import PeerWire

extension SeedSession {
    /// The next datagram to send, or nil when there is nothing to send now.
    ///
    /// Replays come first (the original may be showing a gap), then our messages in order. Replays leave from
    /// a fresh socket, as in the original; first transmissions from the send socket, whose port the original
    /// was told about.
    public mutating func pollTransmit(now: Instant) -> Transmit? {
        if case .closed = state { return nil }
        if let replay = nextReplay(now: now) { return replay }
        return nextFirstTransmission(now: now)
    }

    private mutating func nextReplay(now: Instant) -> Transmit? {
        while let index = replayQueue.pop() {
            outgoing[index].queued = false
            guard outgoing[index].replays < configuration.maxReplaysPerMessage else { continue }
            outgoing[index].replays += 1
            outgoing[index].lastSentAt = now
            let bytes = SeedDatagram.encodeResend(text: outgoing[index].text)
            let sequence = UInt64(index + 1)
            statistics.replays += 1
            statistics.datagramsSent += 1
            record(.resend(sequence: sequence, transmission: outgoing[index].replays + 1, reason: .count,
                           ack: log.receivedCount, bytes: bytes.count))
            return Transmit(bytes: bytes, route: .freshSocket, kind: .resend, sequence: sequence)
        }
        return nil
    }

    private mutating func nextFirstTransmission(now: Instant) -> Transmit? {
        guard nextToSend < outgoing.count else { return nil }
        let index = nextToSend
        nextToSend += 1
        outgoing[index].lastSentAt = now
        lastFirstTransmissionAt = now
        // Only our first transmissions make the original replay its log: this one may, for a while.
        bursts.noteTrigger(until: now + configuration.burstAnswerWindow)
        // Its count covers every line we hold; if the original stays silent, it had no more.
        log.sentFirstTransmission(now: now, window: quietWindow)
        let count = log.receivedCount
        let bytes = SeedDatagram.encodeFirst(text: outgoing[index].text, count: count)
        let sequence = UInt64(index + 1)
        statistics.dataTransmissions += 1
        statistics.datagramsSent += 1
        if isRecorded(.message) {
            record(.send(kind: .data, sequence: sequence, segments: 1, fragment: nil, ack: count, sack: [],
                         bytes: bytes.count))
        }
        return Transmit(bytes: bytes, route: .sendSocket, kind: .data, sequence: sequence)
    }
}
