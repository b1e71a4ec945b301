import PeerChannel
import PeerIdentity
import PeerSession
import PeerWire

/// One member of a group, sans-I/O: a secure channel (a reliable, authenticated session) with every other member,
/// reached at its listen address, and the group's roster, rooms and names above them. Driven by `CoreDriver` like
/// any core; every datagram it hands out names its destination.
///
/// What it promises, beyond each channel's own promises:
/// - A line goes only on the sessions of the members who should have it: a room's line to the members the roster
///   says are in the room, a private line to its addressee alone. Each session keeps that member's lines in order,
///   exactly once, through loss, duplication, reordering and restarts.
/// - Whoever reaches one member learns the others from it (`member` control messages) and connects to each, so
///   every member ends up with a session with every other (a full mesh).
/// - A name belongs to one key in the group: a second member with a name taken, or a nick change to one, is
///   refused with a notice, and the pins that make it so are shared by every channel.
/// - A member that goes silent is shown offline and kept; it is removed when its session ends (it finished and
///   all was delivered) or after `forgetAfter` of silence. Until then it is offered a new handshake each time it
///   goes down, and again until it answers: it may have restarted with no one to dial.
/// - Nothing that did not authenticate changes the roster: control messages come only out of sessions.
public struct GroupCore: MessengerCore {
    let configuration: GroupConfiguration
    var members: [Member] = []
    var events = FIFO<Event>()
    var deliveries = FIFO<Delivery>()
    var keyLog = FIFO<KeyLogEntry>()
    /// Where the next `pollTransmit` starts looking, so that no member's datagrams wait behind another's.
    var nextToPoll = 0
    var inputEnded = false
    var interrupted = false
    /// What we are called now (`/nick` changes it).
    var name: String
    /// The room plain lines go to.
    var currentRoom = ChatInput.generalRoom
    /// The rooms we are in besides `general`.
    var rooms: Set<String> = []
    /// Names and the keys they belong to, for the whole group: the known-peers file's pins, ours, and each
    /// member's as it is learned. Every channel refuses a name to any other key.
    var pins: [String: [UInt8]]
    /// Names held by `/nick` (ours and members'), and whose they are: in memory only, refused to anyone else's
    /// nick, and yielded to a handshake that carries the name (a handshake's name is its key's for good).
    var nicks: [String: [UInt8]] = [:]
    var linesSent = 0
    var linesShown = 0
    var rejected = 0
    var saidAfterQuit = false
    /// Strangers admitted in the current second without a cookie (`unproven`) and with one (`proven`), and when
    /// that second began.
    var unprovenStrangersThisSecond = 0
    var provenStrangersThisSecond = 0
    /// Of those proven, how many came from each host (at most `provenStrangersPerSecond` hosts).
    var provenStrangersThisSecondByHost: [String: Int] = [:]
    var strangerSecondStarted = Instant.zero
    /// Cookies for strangers' initiations past the unproven budget, bound to the address each came from.
    let cookies = InitiationCookies()
    /// Datagrams of the group's own (cookie replies), sent before any member's.
    var outgoing = FIFO<Transmit>()
    /// A member we dial that has not answered in this long is said to be silent, once.
    static let unansweredNotice = TimeSpan.seconds(5)
    /// A member another member introduced, whose handshake never completed in this long, is forgotten.
    static let introductionLifetime = TimeSpan.seconds(60)
    /// A member whose introductions went unanswered this many times is not listened to again (for introductions):
    /// otherwise it could point the group's handshakes at someone else's door for ever, a fresh batch each minute.
    static let unansweredIntroductionsAllowed = 8
    /// How many of each member's introductions (by its key) were forgotten unanswered; at most this many keys.
    var unansweredIntroductions: [[UInt8]: Int] = [:]
    static let maxIntroducersRemembered = 1024
    /// What the members whose entries were dropped from the table (`compact`) leave to the outcome and the
    /// summary: whether one of them had lines unacknowledged, the last reason one of them ended for other than
    /// completion, and their counters.
    var departedUnacknowledged = false
    var departedReason: SessionOutcome.Reason?
    var departedStatistics = SessionStatistics()
    /// At most this many strangers (initiations from addresses no member has) get a member of their own each
    /// second without proving their address: a herd of that size costs no extra round trip. Past it, a stranger
    /// is sent a cookie and admitted when its initiation comes back with it, so forged initiations (from addresses
    /// whose owners never see the cookie) can take at most these few places a second.
    static let unprovenStrangersPerSecond = 8
    /// At most this many strangers that proved their address get a member of their own each second (each costs
    /// three X25519 operations).
    static let provenStrangersPerSecond = 64
    /// Strangers from one host that proved their address and wait for their handshake at once, at most: past it
    /// the host's oldest is forgotten, so one host cannot fill the group's table whatever ports it sends from. Also
    /// the most admitted from one host in a second, so that one host replaying its cookies cannot use up the
    /// second's `provenStrangersPerSecond` for everyone else.
    static let provenStrangersPerHost = 16
    /// Indexes of members that left the table (`compact`), and until when their late datagrams pass quietly.
    var retiredIndexes: [UInt32: Instant] = [:]
    /// How long a departed member's indexes are remembered: longer than a closing side repeats its goodbyes.
    static let retiredIndexLifetime = TimeSpan.seconds(10)
    /// At most this many are remembered (4 key sets and a handshake of each of 64 members, with room to spare).
    static let maxRetiredIndexes = 1024
    /// A full group forgets a member to take a newcomer only after this long without a word from it: a few seconds
    /// of loss is bad luck, not a member gone.
    static let silenceBeforeMakingRoom = TimeSpan.seconds(30)
    var membersCreated: UInt64 = 0
    var categories: Set<EventCategory> = Set(EventCategory.allCases)
    /// The time of the latest input: what a control message sent in reaction to an event is stamped with.
    var clock: Instant

    /// A member as we know it.
    struct Member {
        /// Where it receives.
        var address: PeerAddress
        var channel: SecureChannel
        /// Its key: authenticated by its handshake, or told by another member (then its handshake must show it).
        var key: [UInt8]?
        /// Its name now: the handshake's, then what its `hello` and `nick` say.
        var name: String?
        /// Its rooms besides `general`, as its own control messages said.
        var rooms: Set<String> = []
        var lastHeard: Instant?
        /// Whether we dialed it (`--peer`, or another member told us of it): a member we must not drop unheard.
        var dialed: Bool
        /// Whether a handshake with it ever completed.
        var wasSecured = false
        /// A stranger whose initiation carried our cookie: it receives at the address it gave.
        var addressProven = false
        /// Its input ended (it sent its last line).
        var finished = false
        /// No longer in the roster: its session ended, it was refused, or it was forgotten.
        var removed = false
        /// Removed because its handshake was another entry's member (a twin): that entry carries its lines.
        var handedToTwin = false
        /// The key of the member that introduced it, if one did.
        var introducer: [UInt8]?
        let createdAt: Instant

        /// Whether we said that it has not answered yet.
        var unansweredSaid = false
        /// Whether another member told us of it (we dial it expecting the key we were told).
        var isIntroduced: Bool { dialed && key != nil }

        var isClosed: Bool { if case .closed = channel.state { true } else { false } }
        /// In the roster: heard from (or dialed), and not gone.
        var isListed: Bool { !removed && (wasSecured || dialed) }
        /// Whether the outcome depends on its session: it is in the roster, or it was and left, or we dialed it and
        /// lost it before it answered (forgotten, refused: the lines queued for it count as not acknowledged, as
        /// they would between two peers) — unless another entry took over its handshake (a twin).
        var countsInOutcome: Bool { isListed || removed && (wasSecured || dialed && !handedToTwin) }
    }

    /// Starts a member and dials the configured peers.
    public init(configuration: GroupConfiguration, now: Instant) {
        self.configuration = configuration
        clock = now
        name = configuration.channel.session.name
        pins = configuration.channel.knownKeys
        pins[name] = configuration.publicKey
        for address in configuration.peers where !members.contains(where: { $0.address == address }) {
            addMember(at: address, dialed: true, expectedKey: nil, now: now)
        }
    }

    // MARK: MessengerCore

    /// Which categories of event to build. Every channel builds status events whatever the choice: the roster is
    /// kept from them.
    public var recordedCategories: Set<EventCategory> {
        get { categories }
        set {
            categories = newValue
            for position in members.indices { members[position].channel.recordedCategories = newValue.union([.status]) }
        }
    }

    /// A typed line: a command (`/join`, `/msg`, …) is carried out; anything else goes to the current room.
    /// - Throws: `SubmitError.tooLong` when the line cannot travel in one message.
    public mutating func submit(_ text: String, now: Instant) throws(SubmitError) {
        clock = max(clock, now)
        guard !inputEnded else {
            // Lines after `/quit` (piped input goes on): ignored, as the end of input promised, and said once.
            if !saidAfterQuit {
                saidAfterQuit = true
                notice("input after /quit is ignored")
            }
            return
        }
        switch ChatInput.parse(text) {
        case .message(let line): try sendLine(line, to: currentRoom, now: now)
        case .say(let room, let line):
            guard room == ChatInput.generalRoom || rooms.contains(room) else {
                notice("you are not in #\(room): /join \(room) first")
                return
            }
            try sendLine(line, to: room, now: now)
        case .privateMessage(let to, let line): try sendPrivate(line, to: to, now: now)
        case .join(let room): join(room, now: now)
        case .leave(let room): leave(room, now: now)
        case .rooms: listRooms()
        case .who(let room): listMembers(of: room, now: now)
        case .nick(let new): changeName(to: new, now: now)
        case .quit: quit(now: now)
        case .help: for line in Self.help { notice(line) }
        case .invalid(let reason): notice(reason)
        }
        settle(now: now)
    }

    /// Input ended (end of file): every session sends what is left and then says so, and goes on receiving until
    /// that member is done too, as between two peers.
    public mutating func finishInput(now: Instant) {
        clock = max(clock, now)
        endInput(leaving: false, now: now)
        settle(now: now)
    }

    /// `/quit`: input ends as at end of file, but we leave: each session closes once what we sent on it is
    /// acknowledged, without waiting for that member's end (end of file waits, so that piped input goes on
    /// receiving until the others are done). Each member sees us leave.
    mutating func quit(now: Instant) {
        endInput(leaving: true, now: now)
        notice("leaving once everything you sent is acknowledged")
    }

    /// Ends our input on every listed member's session (leaving, or waiting for its end too); a stranger whose
    /// handshake is still under way goes.
    mutating func endInput(leaving: Bool, now: Instant) {
        guard !inputEnded else { return }
        inputEnded = true
        for position in members.indices {
            if !members[position].isListed {
                remove(position, now: now)
            } else if leaving {
                members[position].channel.leave(now: now)
            } else {
                members[position].channel.finishInput(now: now)
            }
        }
    }

    /// Stops every session at once.
    public mutating func interrupt(now: Instant) {
        clock = max(clock, now)
        interrupted = true
        for position in members.indices { members[position].channel.interrupt(now: now) }
        settle(now: now)
    }

    /// A datagram from `source` (a sending socket): an initiation goes to the member at the address it names (a
    /// stranger gets a member of its own, bounded); anything else to the member whose index it names.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, from source: PeerAddress, now: Instant) {
        clock = max(clock, now)
        guard !interrupted else { return }
        compact()
        let position: Int
        if let port = SealedFraming.initiationPort(bytes) {
            guard port != 0 else {
                reject("an initiation without a listen port, from \(source.host)", bytes: bytes.count)
                return
            }
            let address = PeerAddress(host: source.host, port: port)
            let awaited = members.indices.filter {
                members[$0].dialed && members[$0].key == nil && !members[$0].removed && !members[$0].wasSecured
                    && members[$0].address.host == address.host
            }
            if let known = members.firstIndex(where: { $0.address == address && !$0.removed }) {
                position = known
            } else if awaited.count == 1, let only = awaited.first {
                // The one peer we dialed on that host and have not heard from yet, answering through a relay or
                // from behind a translated port: its handshake goes to the member we made for it, as between two
                // peers before groups.
                position = only
            } else if !SealedFraming.initiationPortsAgree(bytes) {
                // Cheap to see before any state: the copy of the port the handshake covers differs.
                reject(ChannelError.malformedPayload("initiation's listen port differs from its header's").description,
                       bytes: bytes.count)
                return
            } else {
                switch admitStranger(at: address, initiation: Array(bytes), now: now) {
                case .admitted(let added):
                    position = added
                case .askedForCookie:
                    return
                case .refused(let reason):
                    reject("an initiation from \(source.host): \(reason)", bytes: bytes.count)
                    return
                case .busy(let reason):
                    reject("an initiation from \(source.host): \(reason)", bytes: bytes.count)
                    return
                }
            }
        } else if let index = SealedFraming.receiverIndex(bytes) {
            // A member that left keeps its indexes: its session, over, lets a late datagram pass without a word,
            // as a two-peer session did after its end.
            guard let owner = members.firstIndex(where: { !$0.removed && $0.channel.owns(index: index) })
                ?? members.firstIndex(where: { $0.channel.owns(index: index) }) else {
                if let until = retiredIndexes[index], now < until { return }
                reject(ChannelError.unknownIndex(kind: Self.kindName(bytes[0])).description, bytes: bytes.count)
                return
            }
            position = owner
        } else {
            // The same words a channel would use, so a log reads the same with one member or many.
            let error: ChannelError = switch bytes.first {
            case nil: .badLength(kind: "datagram", bytes: 0)
            case UInt8(ascii: "P"): .olderProtocol
            case let first? where SealedFraming.Kind(rawValue: first) != nil:
                .badLength(kind: Self.kindName(first), bytes: bytes.count)
            case let first?: .unknownKind(first)
            }
            reject(error.description, bytes: bytes.count)
            return
        }
        guard !members[position].removed else {
            members[position].channel.receive(bytes, now: now)
            return
        }
        let heardBefore = members[position].channel.statistics.datagramsReceived
        let securedBefore = members[position].channel.isSecured
        members[position].channel.receive(bytes, now: now)
        if members[position].channel.statistics.datagramsReceived > heardBefore
            || members[position].channel.isSecured != securedBefore {
            members[position].lastHeard = now
        }
        settle(now: now)
    }

    /// As `receive(_:from:now:)` from nowhere in particular: a group needs the source, so this refuses.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Instant) {
        reject("a datagram without its source address", bytes: bytes.count)
    }

    /// Initiations from anywhere (a joiner); anything else only from a host some member is on.
    public func admits(from source: PeerAddress, firstByte: UInt8) -> Bool? {
        if firstByte == SealedFraming.Kind.initiation.rawValue
            || firstByte == SealedFraming.Kind.initiationWithPreSharedKey.rawValue { return true }
        // Removed members count too: a late datagram of a session that ended (a goodbye repeated) is the
        // channel's to refuse, in its own words.
        return members.contains { $0.address.host == source.host }
    }

    /// Lets each session act on its deadlines, and forgets members silent past `forgetAfter`.
    public mutating func handleTimeout(now: Instant) {
        clock = max(clock, now)
        compact()
        for position in members.indices where !members[position].removed {
            if let deadline = members[position].channel.nextTimeout(), deadline <= now {
                members[position].channel.handleTimeout(now: now)
            }
            let member = members[position]
            let silentSince = member.lastHeard ?? member.createdAt
            if member.dialed, !member.wasSecured, !member.unansweredSaid,
               now - member.createdAt >= Self.unansweredNotice {
                // A member we dial that never answered: not running yet, unreachable, or refusing us (another
                // --psk, or a key it does not expect) — it cannot say which, so we say what to check.
                members[position].unansweredSaid = true
                notice("no answer yet from \(member.name ?? member.address.description) at \(member.address): is it "
                       + "running, and do you both use the same --psk (or none)? Your lines wait for it",
                       peer: member.name)
            }
            if !member.isListed, now - member.createdAt >= SecureChannel.responseLifetime {
                remove(position, now: now)
            } else if member.isIntroduced, !member.wasSecured, now - member.createdAt >= Self.introductionLifetime {
                // An address another member gave us that never answered: stop knocking, so that a member cannot
                // point the whole group's handshakes at someone else for long.
                notice("\(member.name ?? "a member") never answered at \(member.address); forgotten", peer: member.name)
                if let introducer = member.introducer {
                    if unansweredIntroductions[introducer] == nil,
                       unansweredIntroductions.count >= Self.maxIntroducersRemembered {
                        unansweredIntroductions.removeAll()
                    }
                    unansweredIntroductions[introducer, default: 0] += 1
                }
                remove(position, now: now)
            } else if member.isListed, !inputEnded, now - silentSince >= configuration.forgetAfter {
                notice("\(member.name ?? member.address.description) forgotten: nothing heard for "
                       + "\(configuration.forgetAfter)", peer: member.name)
                remove(position, now: now)
            }
        }
        settle(now: now)
    }

    /// The next datagram any session wants sent, taking each member's in turn, with its destination.
    public mutating func pollTransmit(now: Instant) -> Transmit? {
        clock = max(clock, now)
        if let transmit = outgoing.pop() { return transmit }
        let count = members.count
        guard count > 0 else { return nil }
        for step in 0..<count {
            let position = (nextToPoll + step) % count
            guard !members[position].removed,
                  var transmit = members[position].channel.pollTransmit(now: now) else { continue }
            nextToPoll = (position + 1) % count
            transmit.destination = members[position].address
            return transmit
        }
        return nil
    }

    /// Lines to show, in the order their sessions delivered them.
    public mutating func pollDelivery() -> Delivery? { deliveries.pop() }

    /// The group's notices and every channel's events (a datagram's `send` comes just after it is polled).
    public mutating func pollEvent() -> Event? {
        if let event = events.pop() { return event }
        for position in members.indices {
            while let event = members[position].channel.pollEvent() {
                observe(event, of: position)
                if let queued = events.pop() { return queued }
            }
        }
        return events.pop()
    }

    /// Keys of handshakes completed since the last call, from every channel.
    public mutating func pollKeyLogEntry() -> KeyLogEntry? {
        if let entry = keyLog.pop() { return entry }
        for position in members.indices {
            if let entry = members[position].channel.pollKeyLogEntry() { return entry }
        }
        return nil
    }

    /// The earliest deadline of any session.
    public func nextTimeout() -> Instant? {
        guard !interrupted else { return nil }
        var deadline: Instant?
        for member in members where !member.removed {
            guard let candidate = member.channel.nextTimeout() else { continue }
            deadline = min(deadline ?? candidate, candidate)
        }
        // Strangers are dropped when their handshake is stale, and silent members forgotten.
        for member in members where !member.removed {
            let candidate = member.isListed
                ? (inputEnded ? nil : (member.lastHeard ?? member.createdAt) + configuration.forgetAfter)
                : member.createdAt + SecureChannel.responseLifetime
            if let candidate { deadline = min(deadline ?? candidate, candidate) }
            if member.isIntroduced, !member.wasSecured {
                let giveUp = member.createdAt + Self.introductionLifetime
                deadline = min(deadline ?? giveUp, giveUp)
            }
            if member.dialed, !member.wasSecured, !member.unansweredSaid {
                let say = member.createdAt + Self.unansweredNotice
                deadline = min(deadline ?? say, say)
            }
        }
        return deadline
    }

    /// Over when input ended (or an interrupt came) and every member's session is over; everything was
    /// acknowledged when every session said so.
    public var state: SessionState {
        let live = members.filter { !$0.removed }
        guard inputEnded || interrupted, live.allSatisfy(\.isClosed) else { return .open }
        var outcome = SessionOutcome(everythingAcknowledged: !departedUnacknowledged,
                                     reason: interrupted ? .interrupted : .completed)
        if let departedReason, !interrupted { outcome.reason = departedReason }
        for member in members where member.countsInOutcome {
            guard case .closed(let closed) = member.channel.state else { continue }
            if !closed.everythingAcknowledged { outcome.everythingAcknowledged = false }
            if closed.reason != .completed, !interrupted { outcome.reason = closed.reason }
        }
        return .closed(outcome)
    }

    /// Every session's counters added up, with lines counted as the user sees them: `messagesSent` lines typed
    /// (once, whatever the number of recipients), `messagesDelivered` lines shown.
    public var statistics: SessionStatistics {
        var total = departedStatistics
        for member in members { total.add(member.channel.statistics) }
        total.messagesSent = linesSent
        total.messagesDelivered = linesShown
        total.rejected += rejected
        return total
    }

    /// Whether to hand over more input: while every live session has room.
    public var acceptsInput: Bool {
        !interrupted && !inputEnded
            && members.allSatisfy { $0.removed || $0.isClosed || $0.channel.acceptsInput }
    }

    /// The members in the roster now, for tests and `/who`: name (or address until known), online or not.
    public func roster(now: Instant) -> [(name: String, online: Bool, rooms: Set<String>)] {
        members.filter(\.isListed).map { member in
            (member.name ?? member.address.description, isOnline(member, now: now), member.rooms)
        }
    }

    /// What we are called now.
    public var currentName: String { name }

    /// How a channel names a datagram of kind `first` in its refusals.
    static func kindName(_ first: UInt8) -> String {
        switch SealedFraming.Kind(rawValue: first) {
        case .initiation, .initiationWithPreSharedKey: "initiation"
        case .response: "response"
        case .finish: "finish"
        case .cookieReply: "cookie reply"
        case .transport, .transportToAnotherRun, nil: "sealed datagram"
        }
    }

    static let help = [
        "commands: /join ROOM (or /create), /leave ROOM, /rooms (or /groups), /who [ROOM] (or /users),",
        "  /msg NAME text (or /private), /say ROOM text (or /public), /nick NEW, /quit (or /exit), /help;",
        "  a plain line goes to the current room; //text sends a line starting with /",
    ]
}
