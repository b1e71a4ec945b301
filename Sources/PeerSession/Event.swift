import PeerWire

/// One protocol decision, as the core reports it. The runtime adds the time and the session and writes it as a
/// log line (text or JSON Lines); tests inspect it directly. docs/LOGS.md lists every event and field.
public enum Event: Sendable, Equatable {
    /// A datagram leaves: a first transmission of a segment (or of `segments` waiting messages packed together,
    /// from `sequence` on), an acknowledgement or a goodbye.
    case send(
        kind: DatagramKind, sequence: UInt64?, segments: Int, fragment: Fragment?, ack: UInt64,
        sack: [SequenceRange], bytes: Int)
    /// A segment is replayed from a fresh socket, because `reason` showed the other side lacks it.
    case resend(sequence: UInt64, transmission: Int, reason: LossReason, ack: UInt64, bytes: Int)
    /// A datagram from the other side was accepted.
    case receive(
        kind: DatagramKind, sequence: UInt64?, segments: Int, transmission: Int?, ack: UInt64, sack: [SequenceRange],
        bytes: Int)
    /// A message was handed to the user; `count` is how many of the peer's segments are now delivered.
    case deliver(sequence: UInt64, count: UInt64, bytes: Int)
    /// A segment that was already delivered or held arrived again and was dropped.
    case duplicate(sequence: UInt64, count: UInt64)
    /// A segment arrived ahead of a missing one and is held until the gap fills.
    case hold(sequence: UInt64, expected: UInt64, held: Int)
    /// The other side's count is below what was sent and the missing segments are judged lost.
    case mismatch(count: UInt64, sent: UInt64, missing: [SequenceRange], reason: LossReason)
    /// A heartbeat went out or came in.
    case ping(direction: Direction, ack: UInt64)
    /// A heartbeat answer went out or came in; `roundTrip` when it answers our ping.
    case pong(direction: Direction, ack: UInt64, roundTrip: TimeSpan?)
    /// The other side is heard from: for the first time, again after silence, or as a new run.
    case peerUp(name: String, session: SessionID, reason: PeerUpReason)
    /// Nothing heard from the other side for `silentFor`: shown as unreachable.
    case peerDown(silentFor: TimeSpan)
    /// A run we do not believe yet claims to be the other side `name` — the first we hear from, a restart
    /// (`current` is the run it would replace), or a forgery: a PING addressed to it asks it to prove it is at
    /// the destination address. Nothing it says counts until it answers.
    case challenge(name: String, session: SessionID, current: SessionID?)
    /// One of the other side's messages could not be put together (cut short by a new message, a piece out of
    /// place, or not UTF-8) and was dropped; its datagrams were accepted. `textBytes` is what had arrived of it.
    case abandon(sequence: UInt64, reason: String, textBytes: Int)
    /// A datagram came from a run not yet proven (see `challenge`): it waits, bounded, for the run's answer, and
    /// is taken then; nothing in it is acted on before.
    case unproven(kind: DatagramKind, sequence: UInt64?, session: SessionID, bytes: Int)
    /// A datagram was refused; `reason` says exactly why. Nothing it claimed was acted on.
    case reject(reason: String, bytes: Int)
    /// One side's input ended after `segments` segments.
    case finish(side: Side, segments: UInt64)
    /// The session is over.
    case close(outcome: SessionOutcome)
    /// The runtime's loss simulation threw a datagram away before it reached the socket.
    case drop(kind: DatagramKind, sequence: UInt64?, bytes: Int)
    /// The runtime's impairment simulation duplicated, reordered or delayed a datagram (`effect` says which).
    case impair(kind: DatagramKind, sequence: UInt64?, effect: String, delay: TimeSpan?)
    /// A socket operation failed; logged, never fatal.
    case socketError(String)
    /// A decision worth knowing that no other event describes, such as a line rewritten so the original
    /// client survives it (`--wire seed`), or a line that may be shown twice.
    case note(sequence: UInt64?, reason: String)
    /// A PEER/2 handshake message (`step`: initiation, response, finish, keepalive) went out or came in.
    case handshake(step: String, direction: Direction, bytes: Int)
    /// A handshake completed: from now on what `name` (key `fingerprint`, run `session`) sends is sealed and
    /// authenticated with keys only the two sides hold.
    case secured(name: String, fingerprint: String, session: SessionID)
    /// First contact with `name`: its key (`publicKey`, shown as `fingerprint`) is now pinned to that name, so a
    /// later handshake claiming the name with another key is refused. The runtime writes it to the known peers.
    case pinned(name: String, fingerprint: String, publicKey: [UInt8])
    /// A handshake authenticated a key we refuse for `name` (`reason`: key-changed, not-expected-key,
    /// another-peer); nothing from it is shown or acknowledged.
    case keyRefused(name: String, fingerprint: String, reason: String)
    /// Something a member of a group should be told, as a sentence (joins, leaves, nick changes, command results,
    /// refusals): shown on stderr as `-- text`; `peer` is the member it is about, if any.
    case notice(text: String, peer: String?)
    /// More `event`s (by name) came in `window` than the log shows one by one: `count` in all, `logged` of them
    /// shown above; `reasons` counts them by reason (`12 segment N is beyond the receive window; 3 other`).
    case repeated(event: String, count: Int, logged: Int, window: TimeSpan, reasons: String)

    /// Which way a heartbeat travelled.
    public enum Direction: String, Sendable { case outgoing = "out", incoming = "in" }
    /// Whose input ended.
    public enum Side: String, Sendable { case local, peer }

    /// The event's name in the logs: the same word in text and JSON.
    public var name: String {
        switch self {
        case .send: "send"
        case .resend: "resend"
        case .receive: "receive"
        case .deliver: "deliver"
        case .duplicate: "duplicate"
        case .hold: "hold"
        case .mismatch: "mismatch"
        case .ping: "ping"
        case .pong: "pong"
        case .peerUp: "peer-up"
        case .peerDown: "peer-down"
        case .challenge: "challenge"
        case .reject: "reject"
        case .unproven: "unproven"
        case .abandon: "abandon"
        case .finish: "finish"
        case .close: "close"
        case .drop: "drop"
        case .impair: "impair"
        case .socketError: "error"
        case .note: "note"
        case .repeated: "repeated"
        case .handshake: "handshake"
        case .secured: "secured"
        case .pinned: "pinned"
        case .keyRefused: "key-refused"
        case .notice: "notice"
        }
    }

    /// What kind of decision this is, so a log can show repairs without every heartbeat.
    public var category: EventCategory {
        switch self {
        case .send(let kind, _, _, _, _, _, _), .receive(let kind, _, _, _, _, _, _):
            kind.carriesSegment || kind == .bye ? .message : .heartbeat
        // A held segment is the routine consequence of a loss the sender repairs (and logs); at a rate of one line
        // per segment it would drown the repairs themselves, so it shows with --verbose.
        case .deliver, .hold, .unproven: .message
        case .ping, .pong: .heartbeat
        case .resend, .duplicate, .mismatch, .drop, .reject, .abandon, .socketError, .note, .repeated: .repair
        case .peerUp, .peerDown, .finish, .close, .challenge, .secured, .pinned, .keyRefused, .notice: .status
        case .handshake: .heartbeat
        case .impair(_, _, let effect, _): effect == "delay" ? .message : .repair
        }
    }

    /// The event's fields in a fixed order, for the log formatters.
    public var fields: [(String, LogValue)] {
        switch self {
        case .send(let kind, let sequence, let segments, let fragment, let ack, let sack, let bytes):
            var fields: [(String, LogValue)] = [("dir", .text("out")), ("kind", .text(kind.rawValue))]
            if let sequence { fields.append(("seq", .integer(Int64(sequence)))) }
            if segments > 1 { fields.append(("segments", .integer(Int64(segments)))) }
            if let fragment { fields.append(("frag", .text(fragment.description))) }
            fields.append(("ack", .integer(Int64(ack))))
            if !sack.isEmpty { fields.append(("sack", .text(sack.wireDescription))) }
            fields.append(("bytes", .integer(Int64(bytes))))
            return fields
        case .resend(let sequence, let transmission, let reason, let ack, let bytes):
            return [("dir", .text("out")), ("seq", .integer(Int64(sequence))), ("tx", .integer(Int64(transmission))),
                    ("reason", .text(reason.rawValue)), ("ack", .integer(Int64(ack))),
                    ("text_bytes", .integer(Int64(bytes)))]
        case .receive(let kind, let sequence, let segments, let transmission, let ack, let sack, let bytes):
            var fields: [(String, LogValue)] = [("dir", .text("in")), ("kind", .text(kind.rawValue))]
            if let sequence { fields.append(("seq", .integer(Int64(sequence)))) }
            if segments > 1 { fields.append(("segments", .integer(Int64(segments)))) }
            if let transmission { fields.append(("tx", .integer(Int64(transmission)))) }
            fields.append(("ack", .integer(Int64(ack))))
            if !sack.isEmpty { fields.append(("sack", .text(sack.wireDescription))) }
            fields.append(("bytes", .integer(Int64(bytes))))
            return fields
        case .deliver(let sequence, let count, let bytes):
            return [("dir", .text("in")), ("seq", .integer(Int64(sequence))), ("count", .integer(Int64(count))),
                    ("text_bytes", .integer(Int64(bytes)))]
        case .duplicate(let sequence, let count):
            return [("dir", .text("in")), ("seq", .integer(Int64(sequence))), ("count", .integer(Int64(count)))]
        case .hold(let sequence, let expected, let held):
            return [("dir", .text("in")), ("seq", .integer(Int64(sequence))), ("expected", .integer(Int64(expected))),
                    ("held", .integer(Int64(held)))]
        case .mismatch(let count, let sent, let missing, let reason):
            return [("count", .integer(Int64(count))), ("sent", .integer(Int64(sent))),
                    ("missing", .text(missing.wireDescription)), ("reason", .text(reason.rawValue))]
        case .ping(let direction, let ack):
            return [("dir", .text(direction.rawValue)), ("ack", .integer(Int64(ack)))]
        case .pong(let direction, let ack, let roundTrip):
            var fields: [(String, LogValue)] = [("dir", .text(direction.rawValue)), ("ack", .integer(Int64(ack)))]
            if let roundTrip { fields.append(("rtt_ms", .milliseconds(roundTrip))) }
            return fields
        case .peerUp(let name, let session, let reason):
            var fields: [(String, LogValue)] = [("name", .text(name)), ("peer", .text(session.description))]
            switch reason {
            case .firstContact: fields.append(("reason", .text("first-contact")))
            case .answeredAgain(let silentFor):
                fields.append(("reason", .text("back")))
                fields.append(("silent_ms", .milliseconds(silentFor)))
            case .restarted(let previous):
                fields.append(("reason", .text("restarted")))
                fields.append(("previous", .text(previous.description)))
            }
            return fields
        case .peerDown(let silentFor):
            return [("silent_ms", .milliseconds(silentFor))]
        case .challenge(let name, let session, let current):
            var fields: [(String, LogValue)] = [("name", .text(name)), ("claimed", .text(session.description))]
            if let current { fields.append(("current", .text(current.description))) }
            return fields
        case .unproven(let kind, let sequence, let session, let bytes):
            var fields: [(String, LogValue)] = [("dir", .text("in")), ("kind", .text(kind.rawValue))]
            if let sequence { fields.append(("seq", .integer(Int64(sequence)))) }
            fields.append(("claimed", .text(session.description)))
            fields.append(("bytes", .integer(Int64(bytes))))
            return fields
        case .abandon(let sequence, let reason, let textBytes):
            return [("dir", .text("in")), ("seq", .integer(Int64(sequence))), ("reason", .text(reason)),
                    ("text_bytes", .integer(Int64(textBytes)))]
        case .reject(let reason, let bytes):
            return [("reason", .text(reason)), ("bytes", .integer(Int64(bytes)))]
        case .finish(let side, let segments):
            return [("side", .text(side.rawValue)), ("segments", .integer(Int64(segments)))]
        case .close(let outcome):
            return [("reason", .text(outcome.reason.rawValue)),
                    ("all_acknowledged", .boolean(outcome.everythingAcknowledged))]
        case .drop(let kind, let sequence, let bytes):
            var fields: [(String, LogValue)] = [("dir", .text("out")), ("kind", .text(kind.rawValue))]
            if let sequence { fields.append(("seq", .integer(Int64(sequence)))) }
            fields.append(("bytes", .integer(Int64(bytes))))
            return fields
        case .impair(let kind, let sequence, let effect, let delay):
            var fields: [(String, LogValue)] = [("dir", .text("out")), ("kind", .text(kind.rawValue))]
            if let sequence { fields.append(("seq", .integer(Int64(sequence)))) }
            fields.append(("effect", .text(effect)))
            if let delay { fields.append(("delay_ms", .milliseconds(delay))) }
            return fields
        case .socketError(let message):
            return [("reason", .text(message))]
        case .note(let sequence, let reason):
            var fields: [(String, LogValue)] = []
            if let sequence { fields.append(("seq", .integer(Int64(sequence)))) }
            fields.append(("reason", .text(reason)))
            return fields
        case .handshake(let step, let direction, let bytes):
            return [("dir", .text(direction.rawValue)), ("step", .text(step)), ("bytes", .integer(Int64(bytes)))]
        case .secured(let name, let fingerprint, let session):
            return [("name", .text(name)), ("key", .text(fingerprint)), ("peer", .text(session.description))]
        case .pinned(let name, let fingerprint, _):
            return [("name", .text(name)), ("key", .text(fingerprint))]
        case .keyRefused(let name, let fingerprint, let reason):
            return [("name", .text(name)), ("key", .text(fingerprint)), ("reason", .text(reason))]
        case .notice(let text, let peer):
            var fields: [(String, LogValue)] = []
            if let peer { fields.append(("peer", .text(peer))) }
            fields.append(("text", .text(text)))
            return fields
        case .repeated(let event, let count, let logged, let window, let reasons):
            var fields: [(String, LogValue)] = [
                ("of", .text(event)), ("count", .integer(Int64(count))), ("logged", .integer(Int64(logged))),
                ("window_ms", .milliseconds(window))]
            if !reasons.isEmpty { fields.append(("reasons", .text(reasons))) }
            return fields
        }
    }
}

/// The kinds of event a log can choose to show.
public enum EventCategory: String, Sendable, CaseIterable {
    /// Segments sent, received, held back and delivered.
    case message
    /// Losses found and repaired, duplicates, simulated drops and impairments, rejects and socket errors.
    case repair
    /// The other side coming and going, input ending, the session closing.
    case status
    /// Pings, pongs and bare acknowledgements: the steady background of a healthy link.
    case heartbeat
}

/// What showed a segment to be lost.
public enum LossReason: String, Sendable {
    /// The other side's count and `sack` report show it missing while segments sent after it arrived.
    case count
    /// Nothing acknowledged it within the retransmission timeout.
    case timeout
    /// It was replayed already, and when the retransmission timer ran out the other side's latest report still
    /// showed it missing although the replay left more than the replay loss delay ago.
    case overdue
    /// The other side restarted and lost what it held.
    case restart
}

/// Why the other side counts as reachable.
public enum PeerUpReason: Sendable, Equatable {
    /// The first datagram from it.
    case firstContact
    /// It answered after being shown as unreachable.
    case answeredAgain(silentFor: TimeSpan)
    /// A new run of it started; `previous` was the run before.
    case restarted(previous: SessionID)
}

/// A field value in a log line.
public enum LogValue: Sendable, Equatable {
    /// A string, quoted in JSON and where needed in text.
    case text(String)
    /// A whole number.
    case integer(Int64)
    /// A duration, shown in milliseconds.
    case milliseconds(TimeSpan)
    /// True or false.
    case boolean(Bool)
}
