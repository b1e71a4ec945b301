import PeerChannel
import PeerIdentity
import PeerSession
import PeerWire

extension GroupCore {
    // MARK: Members

    /// A new member at `address` with a channel of its own; `dialed` members are connected to at once.
    @discardableResult
    mutating func addMember(at address: PeerAddress, dialed: Bool, expectedKey: [UInt8]?, now: Instant) -> Int {
        var channelConfiguration = configuration.channel
        membersCreated += 1
        // Each session draws its own PING secrets: one member cannot answer a challenge meant for another.
        channelConfiguration.session.entropy = configuration.channel.session.entropy
            &+ membersCreated &* 0x9E37_79B9_7F4A_7C15
        // Every handshake carries the name we started with (our key's, pinned by the other side for good); a nick
        // follows in our `hello`.
        channelConfiguration.session.name = configuration.channel.session.name
        channelConfiguration.knownKeys = pins
        channelConfiguration.allowsOurName = false
        if dialed, expectedKey == nil, sharesOurName(at: address) {
            // The one peer configured, as two peers were before groups: it may keep the default name we kept.
            channelConfiguration.allowsOurName = true
            channelConfiguration.knownKeys[name] = configuration.channel.knownKeys[name]
        }
        channelConfiguration.initiates = dialed
        if let expectedKey { channelConfiguration.expectedKey = Fingerprint(publicKey: expectedKey) }
        var channel = SecureChannel(configuration: channelConfiguration, now: now)
        channel.recordedCategories = categories.union([.status])
        if inputEnded { channel.finishInput(now: now) }
        members.append(Member(address: address, channel: channel, key: expectedKey, dialed: dialed, createdAt: now))
        return members.count - 1
    }

    /// What became of a stranger's initiation.
    enum StrangerAdmission {
        /// It has a member of its own, at this position.
        case admitted(Int)
        /// It was sent a cookie, to come back with.
        case askedForCookie
        /// Refused, for the reason given: the group is full, or input ended (no one new is taken then).
        case refused(String)
        /// More strangers proved their address this second than are taken in one (from its host, or in all).
        case busy(String)
    }

    /// A member for an initiation from an address no member has. The first `unprovenStrangersPerSecond` strangers
    /// of a second are taken at their word, and at most `maxStrangers` of those wait for their handshake at once
    /// (the oldest is forgotten); past that, or when only forgetting a member would make room, a stranger must
    /// prove its address with a cookie first, and is then taken up to `provenStrangersPerSecond` a second (at most
    /// `provenStrangersPerHost` of them from one host), `provenStrangersPerHost` waiting from one host.
    mutating func admitStranger(at address: PeerAddress, initiation: [UInt8], now: Instant) -> StrangerAdmission {
        guard !inputEnded else { return .refused("our input ended: no one new is taken") }
        if now - strangerSecondStarted >= .seconds(1) {
            strangerSecondStarted = now
            unprovenStrangersThisSecond = 0
            provenStrangersThisSecond = 0
            provenStrangersThisSecondByHost = [:]
        }
        let proven = cookies.isVouched(initiation, boundTo: address.description, now: now)
        let waiting = members.indices.filter {
            !members[$0].removed && !members[$0].isListed && members[$0].addressProven == proven
                && (!proven || members[$0].address.host == address.host)
        }
        if proven {
            guard provenStrangersThisSecond < Self.provenStrangersPerSecond else {
                return .busy("more than \(Self.provenStrangersPerSecond) strangers a second")
            }
            // Per host too: one host proving many ports (its own cookies, replayed for minutes) must not use up
            // the second's budget for everyone else.
            let fromHost = provenStrangersThisSecondByHost[address.host, default: 0]
            guard fromHost < Self.provenStrangersPerHost else {
                return .busy("more than \(Self.provenStrangersPerHost) strangers a second from that host")
            }
            provenStrangersThisSecond += 1
            provenStrangersThisSecondByHost[address.host] = fromHost + 1
            if waiting.count >= Self.provenStrangersPerHost, let oldest = waiting.first { remove(oldest, now: now) }
        } else {
            // Each stranger's first response costs three X25519 operations, and its member holds a place: a flood
            // of initiations from made-up addresses gets a cookie each (21 bytes, no state) past a few a second.
            // So does a stranger when only forgetting a member would make room for it: an initiation anyone can
            // forge must not make a member go.
            let live = members.filter { !$0.removed }.count
            guard unprovenStrangersThisSecond < Self.unprovenStrangersPerSecond,
                  live < configuration.maxMembers || !waiting.isEmpty else {
                if let reply = cookies.reply(to: initiation, boundTo: address.description, now: now) {
                    if categories.contains(.heartbeat) {
                        events.push(.handshake(step: "cookie", direction: .outgoing, bytes: reply.count))
                    }
                    outgoing.push(Transmit(bytes: reply, route: .sendSocket, kind: .handshake, sequence: nil,
                                           destination: address))
                }
                return .askedForCookie
            }
            unprovenStrangersThisSecond += 1
            if waiting.count >= configuration.maxStrangers, let oldest = waiting.first { remove(oldest, now: now) }
        }
        guard makeRoom(now: now, mayForgetMembers: proven) else {
            return .refused("the group is full (\(configuration.maxMembers)) and every member was heard within "
                            + "\(Self.ago(Self.silenceBeforeMakingRoom))")
        }
        compact()
        let added = addMember(at: address, dialed: false, expectedKey: nil, now: now)
        members[added].addressProven = proven
        return .admitted(added)
    }

    /// Drops the entries of members removed from the roster (strangers, introductions that never answered, members
    /// that left, were refused or were forgotten), so that the table cannot grow without bound, whoever comes and
    /// goes: what the outcome and the summary still need of them is kept in three fields. Shifts positions: call
    /// it only where none is held.
    mutating func compact() {
        guard members.contains(where: \.removed) else { return }
        for member in members where member.removed {
            departedStatistics.add(member.channel.statistics)
            // Its late datagrams (a leaver's remaining goodbyes, a last acknowledgement) are news of nothing: they
            // pass quietly for a while instead of being refused as forged.
            if member.wasSecured {
                for index in member.channel.indexes { retiredIndexes[index] = clock + Self.retiredIndexLifetime }
            }
            guard member.countsInOutcome, case .closed(let closed) = member.channel.state else { continue }
            if !closed.everythingAcknowledged { departedUnacknowledged = true }
            if closed.reason != .completed { departedReason = closed.reason }
        }
        members.removeAll(where: \.removed)
        if nextToPoll >= members.count { nextToPoll = 0 }
        retiredIndexes = retiredIndexes.filter { $0.value > clock }
        while retiredIndexes.count > Self.maxRetiredIndexes, let oldest = retiredIndexes.min(by: { $0.value < $1.value }) {
            retiredIndexes[oldest.key] = nil
        }
    }

    /// Whether there is room for one more member. When the table is full, the oldest stranger that did not prove
    /// its address (anyone can forge one) makes room; failing that, when `mayForgetMembers`, the member silent the
    /// longest makes room if nothing was heard from it for `silenceBeforeMakingRoom`, with a notice: a full group
    /// prefers someone who is here to someone long gone (else members that went silent — throwaway keys, say —
    /// would keep every newcomer out until forgotten, 10 minutes), but a few seconds of loss is no reason to go.
    /// Marks it removed and shifts no position.
    mutating func makeRoom(now: Instant, mayForgetMembers: Bool = true) -> Bool {
        guard members.filter({ !$0.removed }).count >= configuration.maxMembers else { return true }
        if let unproven = members.indices.first(where: {
            !members[$0].removed && !members[$0].isListed && !members[$0].addressProven
        }) {
            remove(unproven, now: now)
            return true
        }
        guard mayForgetMembers else { return false }
        let silentSince = { (member: Member) in member.lastHeard ?? member.createdAt }
        guard let quietest = members.indices.filter({
            !members[$0].removed && members[$0].isListed && !isOnline(members[$0], now: now)
                && now - silentSince(members[$0]) >= Self.silenceBeforeMakingRoom
        }).min(by: { silentSince(members[$0]) < silentSince(members[$1]) }) else { return false }
        let member = members[quietest]
        notice("\(member.name ?? member.address.description) forgotten to make room: the group is full "
               + "(\(configuration.maxMembers)) and nothing was heard from it for \(Self.ago(now - silentSince(member)))",
               peer: member.name)
        remove(quietest, now: now)
        return true
    }

    /// Takes a member out of the roster; its session stops.
    mutating func remove(_ position: Int, now: Instant) {
        guard !members[position].removed else { return }
        members[position].removed = true
        if let key = members[position].key,
           !members.contains(where: { !$0.removed && $0.wasSecured && $0.key == key }) {
            nicks = nicks.filter { $0.value != key }
        }
        if !members[position].isClosed { members[position].channel.interrupt(now: now) }
        // Its channel's last words (a `close`) are not news: the roster says what happened.
        while members[position].channel.pollEvent() != nil {}
        while members[position].channel.pollDelivery() != nil {}
    }

    /// Whether the member at `address` may share our name: it is the one peer given on the command line of a
    /// conversation of two (nobody else ever joined), which is how two peers ran before groups.
    func sharesOurName(at address: PeerAddress) -> Bool {
        configuration.peers == [address] && !members.contains { $0.address != address && $0.wasSecured }
    }

    func isOnline(_ member: Member, now: Instant) -> Bool {
        guard let heard = member.lastHeard, !member.isClosed else { return false }
        let tunables = configuration.channel.session.tunables
        return now - heard <= tunables.heartbeatInterval * tunables.silentIntervalsBeforeDown
    }

    /// The member called `name`, one whose handshake completed first.
    func position(named name: String) -> Int? {
        members.firstIndex { $0.isListed && $0.wasSecured && $0.name == name }
            ?? members.firstIndex { $0.isListed && $0.name == name }
    }

    // MARK: What sessions say

    /// Takes every session's deliveries (lines to show, control messages to act on) into the group's queues,
    /// until none has more: acting on one can make another say something.
    mutating func settle(now: Instant) {
        for _ in 0..<4 {
            var moved = false
            for position in members.indices where !members[position].removed {
                while let event = members[position].channel.pollEvent() {
                    observe(event, of: position)
                    moved = true
                }
                while let delivery = members[position].channel.pollDelivery() {
                    interpret(delivery, from: position, now: now)
                    moved = true
                }
            }
            if !moved { break }
        }
    }

    /// Acts on a channel's event and passes it on when the log wants it.
    mutating func observe(_ event: Event, of position: Int) {
        var event = event
        if case .keyRefused(let refused, let fingerprint, "key-changed") = event,
           members.indices.contains(where: { $0 != position && members[$0].isListed && members[$0].name == refused }) {
            // The name is a member's here and now: a newcomer who picked a taken name, not a key that changed.
            event = .keyRefused(name: refused, fingerprint: fingerprint, reason: "name-taken")
        }
        // The event first, then what the group makes of it.
        if categories.contains(event.category) || { if case .pinned = event { true } else { false } }() {
            events.push(event)
        }
        switch event {
        case .secured(let securedName, _, _):
            welcome(position, as: securedName)
        case .pinned(let pinnedName, _, let key):
            share(pin: pinnedName, key: key)
        case .peerDown(let silentFor):
            notice("\(members[position].name ?? "a member") is unreachable (nothing heard for \(silentFor))",
                   peer: members[position].name)
            // It may have restarted and be waiting to be dialed (a member started with no --peer dials no one):
            // keep offering it a handshake until it answers, as its old keys reach nothing there.
            if members[position].wasSecured, !members[position].removed, !members[position].isClosed {
                members[position].channel.initiate(now: clock)
            }
        case .peerUp(_, _, .answeredAgain(let silentFor)):
            notice("\(members[position].name ?? "a member") is back (silent for \(silentFor))", peer: members[position].name)
        case .peerUp(_, _, .restarted):
            notice("\(members[position].name ?? "a member") restarted: sending again what it may have missed",
                   peer: members[position].name)
        case .finish(.peer, _):
            members[position].finished = true
            notice("\(members[position].name ?? "a member") has finished (end of input)", peer: members[position].name)
        case .close:
            if members[position].wasSecured, !members[position].removed {
                members[position].removed = true
                // Our own interrupt closes every session: that is us leaving, not them.
                if !inputEnded, !interrupted {
                    notice("\(members[position].name ?? "a member") left", peer: members[position].name)
                }
            }
        default: break
        }
    }

    /// A handshake with a member completed (the first with it, or with a new run of it): check its name is its
    /// own, tell it where we are and who else is here, and tell the others about it.
    mutating func welcome(_ position: Int, as claimed: String) {
        guard let key = members[position].channel.remoteKey else { return }
        let ourHandshakeName = configuration.channel.session.name
        if claimed == ourHandshakeName, sharesOurName(at: members[position].address), members[position].dialed {
            // Two peers with one name, as before groups: allowed while they are alone (`sharesOurName`).
        } else if let owner = pins[claimed], owner != key {
            notice("refused \(claimed) (key \(Fingerprint(publicKey: key))): the name \(claimed) belongs to another "
                   + "member", peer: claimed)
            remove(position, now: clock)
            return
        }
        if let holder = nicks[claimed], holder != key {
            // A name a handshake carries is its key's (pinned for good); a nick only borrows a name nobody's handshake
            // had yet. Its holder, we or a member, goes back to its own: else a nick could keep a name's owner out,
            // or pass for it at a newcomer that had not met the owner yet.
            yield(nick: claimed, held: holder, to: claimed)
        }
        if let twin = members.indices.first(where: {
            $0 != position && !members[$0].removed && members[$0].wasSecured && members[$0].key == key
        }) {
            // The same member, whose handshake reached us at a second address (through a relay, or a restart
            // behind a translated port): the member we have takes the new keys, and the newcomer goes.
            members[twin].channel.adopt(keysOf: members[position].channel, now: clock)
            members[twin].lastHeard = clock
            members[position].handedToTwin = true
            remove(position, now: clock)
            return
        }
        let firstTime = !members[position].wasSecured
        let previousName = members[position].name
        members[position].wasSecured = true
        members[position].key = key
        // An introduction of this key at another address will never answer (the key is here): it goes, or it would
        // stand for this member in `/msg` and `/who` until forgotten. What was queued for it counts as not
        // acknowledged.
        for other in members.indices where other != position && members[other].key == key
            && !members[other].removed && !members[other].wasSecured {
            notice("\(claimed) answered at \(members[position].address), not at \(members[other].address) where it was "
                   + "said to be", peer: claimed)
            remove(other, now: clock)
        }
        // A handshake completes once per run of the member: a new run starts from its --name and no rooms, and
        // says in its `hello` if it has more.
        nicks = nicks.filter { $0.value != key }
        members[position].name = claimed
        members[position].rooms = []
        if !firstTime, let previousName, previousName != claimed {
            notice("\(previousName) came back as \(claimed)", peer: claimed)
        }
        share(pin: claimed, key: key)
        if firstTime {
            notice("\(claimed) joined (key \(Fingerprint(publicKey: key)), at \(members[position].address))",
                   peer: claimed)
        }
        // Every new run of it starts from nothing: it hears our name and rooms again, and who else is here.
        if name != configuration.channel.session.name || !rooms.isEmpty {
            sendControl(.hello(name: name, rooms: rooms.sorted()), to: position)
        }
        for other in members.indices where other != position && members[other].isListed && members[other].wasSecured {
            guard let otherKey = members[other].key, let otherName = members[other].name else { continue }
            sendControl(.member(key: otherKey, address: members[other].address, name: otherName), to: position)
            sendControl(.member(key: key, address: members[position].address, name: members[position].name ?? claimed),
                        to: other)
        }
    }

    /// Every channel refuses `pinName` to any key but `key` from now on.
    mutating func share(pin pinName: String, key: [UInt8]) {
        guard pins[pinName] == nil else { return }
        pins[pinName] = key
        for position in members.indices { members[position].channel.pin(name: pinName, key: key) }
    }

    /// A session delivered a message: a line to show, or a control message to act on.
    mutating func interpret(_ delivery: Delivery, from position: Int, now: Instant) {
        let sender = members[position].name ?? delivery.from
        guard let envelope = GroupEnvelope(parsing: delivery.text) else {
            notice("\(sender) sent a message this version cannot read; dropped", peer: sender)
            return
        }
        switch envelope {
        case .line(let room, let text):
            guard room == ChatInput.generalRoom || rooms.contains(room) else {
                notice("\(sender) sent a line to #\(room), which you are not in; not shown", peer: sender)
                return
            }
            show(Delivery(from: sender, text: text, sequence: delivery.sequence,
                          room: room == ChatInput.generalRoom ? nil : room))
        case .privateLine(let text):
            show(Delivery(from: sender, text: text, sequence: delivery.sequence, isPrivate: true))
        case .control(let control):
            act(on: control, from: position, now: now)
        }
    }

    mutating func show(_ delivery: Delivery) {
        linesShown += 1
        deliveries.push(delivery)
    }

    /// A control message from a member (authenticated: it came out of its session).
    mutating func act(on control: GroupControl, from position: Int, now: Instant) {
        let sender = members[position].name ?? members[position].address.description
        switch control {
        case .hello(let newName, let memberRooms):
            if newName != members[position].name { rename(position, to: newName) }
            members[position].rooms = Set(memberRooms)
        case .member(let key, let address, let memberName):
            guard key != configuration.publicKey, !members.contains(where: { !$0.removed && $0.key == key })
            else { return }
            if let owner = pins[memberName], owner != key {
                notice("\(sender) told us of \(memberName) with a key that is not \(memberName)'s; ignored",
                       peer: sender)
                return
            }
            if let existing = members.firstIndex(where: { !$0.removed && $0.address == address }) {
                // Its own handshake reached us before the introduction and is still under way: dial it too, so
                // that one lost message of that handshake does not leave us waiting out its 10-second expiry.
                if !members[existing].wasSecured, !members[existing].dialed, !inputEnded {
                    members[existing].dialed = true
                    members[existing].name = memberName
                    members[existing].channel.initiate(now: now)
                }
                return
            }
            guard !inputEnded, makeRoom(now: now) else { return }
            if let introducer = members[position].key,
               let unanswered = unansweredIntroductions[introducer], unanswered >= Self.unansweredIntroductionsAllowed {
                // Refused and counted, quietly: a member that keeps introducing addresses that never answer is not
                // dialing through us any more.
                reject("\(sender) introduced \(unanswered) members who never answered; its introduction of "
                       + "\(memberName) at \(address) is ignored", bytes: 0)
                return
            }
            let added = addMember(at: address, dialed: true, expectedKey: key, now: now)
            members[added].name = memberName
            members[added].introducer = members[position].key
            notice("\(sender) says \(memberName) is in the group, at \(address): connecting", peer: memberName)
        case .join(let room):
            let memberRooms = members[position].rooms
            guard memberRooms.count < GroupControl.maxRoomsPerMember || memberRooms.contains(room) else {
                // An honest build never gets here (`/join` stops at the same bound): refused and counted, quietly,
                // so that a flood of joins costs neither memory nor a notice each.
                reject("\(sender) joined more than \(GroupControl.maxRoomsPerMember) rooms; join \(room) ignored",
                       bytes: room.utf8.count)
                return
            }
            members[position].rooms.insert(room)
            if rooms.contains(room) { notice("\(sender) joined #\(room)", peer: sender) }
        case .leave(let room):
            members[position].rooms.remove(room)
            if rooms.contains(room) { notice("\(sender) left #\(room)", peer: sender) }
        case .nick(let newName):
            rename(position, to: newName)
        }
    }

    /// A member says it is called `newName` now: granted unless the name belongs to another key.
    mutating func rename(_ position: Int, to newName: String) {
        let old = members[position].name ?? members[position].address.description
        guard let key = members[position].key else { return }
        if let owner = pins[newName] ?? nicks[newName], owner != key {
            notice("\(old) asked to be called \(newName), a name that belongs to another member; still \(old)",
                   peer: old)
            return
        }
        members[position].name = newName
        // A nick is held while it is used, in memory only (no `pinned` event, so not in the known-peers file): the
        // one before goes, so that a member holds at most its handshake name and one nick and cannot squat others'.
        nicks = nicks.filter { $0.value != key }
        if pins[newName] != key { nicks[newName] = key }
        notice("\(old) is now known as \(newName)", peer: newName)
    }

    /// The nick `nickName`, held by `holder` (our key or a member's), goes: a handshake just showed that
    /// `owner` is its key's own name. The holder is called by its handshake name again.
    mutating func yield(nick nickName: String, held holder: [UInt8], to owner: String) {
        nicks[nickName] = nil
        if holder == configuration.publicKey {
            name = configuration.channel.session.name
            sendControlToAll(.nick(name))
            notice("\(owner) joined, whose name \(nickName) is: you are \(name) again")
            return
        }
        for position in members.indices where members[position].key == holder && members[position].name == nickName {
            let ownName = members[position].channel.remoteName ?? members[position].address.description
            members[position].name = ownName
            notice("\(ownName) was called \(nickName), a name that belongs to another member who just joined; it is "
                   + "\(ownName) again", peer: ownName)
        }
    }

    // MARK: What we say

    /// A line to every member in `room`.
    mutating func sendLine(_ text: String, to room: String, now: Instant) throws(SubmitError) {
        let body = GroupEnvelope.line(room: room, text: text).text
        guard body.utf8.count <= Session.maxMessageBytes else { throw .tooLong(bytes: text.utf8.count) }
        let recipients = members.indices.filter {
            members[$0].isListed && !members[$0].isClosed
                && (room == ChatInput.generalRoom || members[$0].rooms.contains(room))
        }
        guard !recipients.isEmpty else {
            // Not sent, and counted as such (`unsent=` in the summary, exit status 1): a line nobody can receive.
            notice(room == ChatInput.generalRoom ? "no one else is here yet: not sent"
                                                 : "no one else is in #\(room) yet: not sent")
            throw .noRecipients(room: room)
        }
        linesSent += 1
        for position in recipients { submit(body, to: position, now: now) }
    }

    /// A line to one member, on its session alone.
    mutating func sendPrivate(_ text: String, to recipient: String, now: Instant) throws(SubmitError) {
        let body = GroupEnvelope.privateLine(text).text
        guard body.utf8.count <= Session.maxMessageBytes else { throw .tooLong(bytes: text.utf8.count) }
        guard let position = position(named: recipient), !members[position].isClosed else {
            notice(recipient == name ? "\(recipient) is you: /msg sends to another member (/who lists them)"
                   : "no one called \(recipient) here (/who lists the members)")
            return
        }
        linesSent += 1
        submit(body, to: position, now: now)
    }

    mutating func sendControl(_ control: GroupControl, to position: Int) {
        guard !members[position].isClosed else { return }
        submit(GroupEnvelope.control(control).text, to: position, now: clock)
    }

    /// Hands a message to one member's session; a session that refuses it (its input ended) is said.
    mutating func submit(_ body: String, to position: Int, now: Instant) {
        do {
            try members[position].channel.submit(body, now: now)
        } catch {
            notice("not sent to \(members[position].name ?? members[position].address.description): \(error)")
        }
    }

    mutating func sendControlToAll(_ control: GroupControl) {
        for position in members.indices where members[position].isListed { sendControl(control, to: position) }
    }

    mutating func join(_ room: String, now: Instant) {
        guard room != ChatInput.generalRoom, !rooms.contains(room) else {
            currentRoom = room
            notice("now talking in #\(room)")
            return
        }
        // Every member keeps at most this many of ours, and a `hello` carries no more.
        guard rooms.count < GroupControl.maxRoomsPerMember else {
            notice("you are in \(GroupControl.maxRoomsPerMember) rooms already: /leave one before joining #\(room)")
            return
        }
        currentRoom = room
        rooms.insert(room)
        sendControlToAll(.join(room))
        let others = members.filter { $0.isListed && $0.rooms.contains(room) }.compactMap(\.name).sorted()
        notice("you joined #\(room)" + (others.isEmpty ? " (no one else is in it yet)"
                                                       : " with \(others.joined(separator: ", "))")
               + "; plain lines go there now")
    }

    mutating func leave(_ room: String, now: Instant) {
        guard rooms.contains(room) else {
            notice("you are not in #\(room)")
            return
        }
        rooms.remove(room)
        sendControlToAll(.leave(room))
        if currentRoom == room { currentRoom = ChatInput.generalRoom }
        notice("you left #\(room); plain lines go to #\(currentRoom)")
    }

    mutating func listRooms() {
        var all: [String: [String]] = [ChatInput.generalRoom: [name]]
        for room in rooms { all[room, default: []].append(name) }
        for member in members where member.isListed {
            let memberName = member.name ?? member.address.description
            all[ChatInput.generalRoom, default: []].append(memberName)
            for room in member.rooms { all[room, default: []].append(memberName) }
        }
        for room in all.keys.sorted() {
            let marker = room == currentRoom ? " (current)" : ""
            notice("#\(room)\(marker): \(all[room, default: []].sorted().joined(separator: ", "))")
        }
    }

    mutating func listMembers(of room: String?, now: Instant) {
        if let room, room != ChatInput.generalRoom, !rooms.contains(room),
           !members.contains(where: { $0.isListed && $0.rooms.contains(room) }) {
            notice("no one is in #\(room)")
            return
        }
        // Every member is in #general: each one's rooms are listed the same way, ours included, and a room's list
        // names only who is in it (we too, only if we are).
        let inRoom = { (memberRooms: Set<String>) in
            room == nil || room == ChatInput.generalRoom || room.map(memberRooms.contains) == true
        }
        let listed = { (memberRooms: Set<String>) in
            "#" + ([ChatInput.generalRoom] + memberRooms.sorted()).joined(separator: " #")
        }
        if inRoom(rooms) { notice("you: \(name), in \(listed(rooms))") }
        for member in members where member.isListed && inRoom(member.rooms) {
            let memberName = member.name ?? member.address.description
            let heard = member.lastHeard.map { "last heard \(Self.ago(now - $0)) ago" } ?? "never heard"
            let status = member.finished ? "finished" : isOnline(member, now: now) ? "online" : "offline"
            notice("\(memberName): \(status), \(heard), in \(listed(member.rooms))", peer: member.name)
        }
    }

    mutating func changeName(to newName: String, now: Instant) {
        guard newName != name else {
            notice("you are already \(name)")
            return
        }
        if let owner = pins[newName] ?? nicks[newName], owner != configuration.publicKey {
            notice("\(newName) belongs to another member; you are still \(name)")
            return
        }
        let old = name
        name = newName
        nicks = nicks.filter { $0.value != configuration.publicKey }
        if pins[newName] != configuration.publicKey { nicks[newName] = configuration.publicKey }
        sendControlToAll(.nick(newName))
        notice("you are now known as \(newName) (were \(old))")
    }

    static func ago(_ span: TimeSpan) -> String {
        let seconds = span.microseconds / 1_000_000
        if seconds < 1 { return "\(max(0, span.microseconds / 1000)) ms" }
        if seconds < 120 { return "\(seconds) s" }
        return "\(seconds / 60) min"
    }

    // MARK: Notices and refusals

    mutating func notice(_ text: String, peer: String? = nil) {
        events.push(.notice(text: text, peer: peer))
    }

    mutating func reject(_ reason: String, bytes: Int) {
        rejected += 1
        if categories.contains(.repair) { events.push(.reject(reason: reason, bytes: bytes)) }
    }
}
