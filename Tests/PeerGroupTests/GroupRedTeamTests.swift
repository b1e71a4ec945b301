import PeerChannel
import PeerCrypto
@testable import PeerGroup
import PeerSession
import PeerSimulation
import PeerWire
import Testing

/// A red team's findings against groups, each as the attack (or the mistake) that shows it: a member that completed
/// its handshake with its own key and then says what an honest build never would (`GroupSimulation.tamper` hands its
/// sessions raw control messages), or an off-path sender of forged initiations. A finding not fixed yet is a
/// `withKnownIssue`: it passes while the weakness is there, and fails once a fix makes the attack stop working
/// (remove the wrapper then).
struct GroupRedTeamTests {
    static func pinnedEvents(_ log: GroupSimulation.MemberLog) -> [String] {
        log.events.compactMap { if case .pinned(let name, _, _) = $0.event { name } else { nil } }
    }

    /// A member called `name` with its own key, listening at port 4000, dialing `peers`.
    static func member(_ name: String, key: [UInt8] = X25519.newPrivateKey(), run: UInt64,
                       peers: [PeerAddress] = [], now: Instant = .zero, maxMembers: Int = 64,
                       listenPort: UInt16 = 4000) -> GroupCore {
        let session = SessionConfiguration(name: name, sessionID: SessionID(rawValue: run))
        return GroupCore(
            configuration: GroupConfiguration(
                channel: ChannelConfiguration(session: session, staticKey: key, listenPort: listenPort),
                publicKey: X25519.publicKey(privateKey: key), peers: peers, maxMembers: maxMembers),
            now: now)
    }

    // MARK: Time

    /// `nextTimeout` names the instant a stranger, an introduction or a silent member is due to go, but
    /// `handleTimeout` only acted strictly after it: called at that very instant (as every virtual-clock driver
    /// does) it changed nothing, and the same deadline came back for ever — a busy loop in `GroupSimulation`, the fuzz
    /// target and any simulation, and a spin until the clock ticks in the runtime.
    @Test("every deadline a core names is acted on at that instant: the next one is later")
    func deadlinesMoveOn() {
        let mallory = PeerAddress(host: "10.0.0.2", port: 4000)
        var core = GroupCoreUnitTests.core(name: "alice", peers: [mallory])
        core.act(on: .member(key: [UInt8](repeating: 7, count: 32), address: PeerAddress(host: "10.9.9.9", port: 1),
                             name: "ghost"), from: 0, now: .zero)
        var now = Instant.zero
        var repeatsAtOneInstant = 0
        var worst = 0
        for _ in 0..<20_000 {
            guard let deadline = core.nextTimeout(), deadline <= .zero + .seconds(700) else { break }
            repeatsAtOneInstant = deadline <= now ? repeatsAtOneInstant + 1 : 0
            worst = max(worst, repeatsAtOneInstant)
            if repeatsAtOneInstant > 10 { break }
            now = max(now, deadline)
            core.handleTimeout(now: now)
            while core.pollTransmit(now: now) != nil {}
            while core.pollEvent() != nil {}
        }
        #expect(worst <= 1, "the deadline at \(now) came back \(worst) times without anything changing")
        #expect(now >= .zero + .seconds(600), "stopped at \(now)")
        #expect(core.roster(now: now).isEmpty, "the introduction (60 s) and the silent peer (600 s) are gone")
    }

    // MARK: A hostile member

    /// `nick` (and `hello`) pinned each new name to the sender's key at every receiver and never released the old
    /// one, and each pin was a `pinned` event, which the runtime writes to the known-peers file: one member could
    /// take any number of names, for ever, on every member's disk. Now a nick is held while it is used, in memory.
    @Test("a member's nick flood holds one name at a time: the names it moved on from are free, nothing is on disk")
    func nickFloodHoldsOneName() {
        let network = GroupSimulation(seed: 3)
        network.addMember("alice")
        network.addMember("mallory", peers: ["alice"])
        #expect(network.run(until: .seconds(10)) { $0.isFullMesh })
        let pinsBefore = Self.pinnedEvents(network.log("alice")).count
        let pinTableBefore = network.core("alice")?.pins.count ?? 0
        network.tamper("mallory") { core, now in
            for step in 0..<300 { core.forge("\u{1}cnick squat\(step)", to: "alice", now: now) }
        }
        #expect(network.run(until: network.elapsed + .seconds(20)) { network in
            network.roster("alice").contains { $0.name == "squat299" }
        })
        let pinnedByMallory = Self.pinnedEvents(network.log("alice")).count - pinsBefore
        #expect(pinnedByMallory == 0, "alice pinned \(pinnedByMallory) nicks (each a line in her known-peers file)")
        let pinTable = network.core("alice")?.pins.count ?? 0
        #expect(pinTable <= pinTableBefore + 1, "alice holds \(pinTable - pinTableBefore) more pins")
        // A newcomer that is really called squat0 (mallory's name for a moment, long ago) gets in; so does one
        // called squat299 (mallory's nick now): a handshake's name is its key's, and mallory is mallory again.
        network.addMember("squat0", peers: ["alice"], startAt: network.elapsed)
        network.addMember("squat299", label: "latecomer", peers: ["alice"], startAt: network.elapsed)
        network.run(until: network.elapsed + .seconds(20)) { $0.roster("alice").count == 3 }
        let names = network.roster("alice").map(\.name)
        #expect(names.contains("squat0"), "squat0 was refused: \(names)")
        #expect(Set(names) == ["squat0", "squat299", "mallory"], "\(names)")
        #expect(network.core("alice")?.pins["squat299"] == network.publicKey("latecomer"))
    }

    @Test("our own /nick releases the nick before it (never the name we started with)")
    func ownNickReleasesThePreviousOne() throws {
        var core = GroupCoreUnitTests.core(name: "alice")
        let ours = core.pins["alice"]
        try core.submit("/nick robert", now: .zero)
        try core.submit("/nick rob", now: .zero)
        try core.submit("/nick alice", now: .zero)
        #expect(core.nicks.isEmpty)
        #expect(core.pins["alice"] == ours)
        try core.submit("/nick rob", now: .zero)
        #expect(core.nicks == ["rob": ours ?? []] && core.pins["alice"] == ours)
        #expect(core.pins["rob"] == nil, "a nick is never pinned: a handshake that carries the name takes it")
    }

    /// The name a newcomer first heard won: a member that told the newcomer `nick bob` before the real bob's
    /// handshake with it completed was bob there, and the real bob was refused as an impersonator, although bob
    /// holds the name in the group. Now a nick yields to a handshake that carries the name.
    @Test("a nick cannot take an existing member's name at a newcomer: the real one's handshake wins it back")
    func nickTakesAGroupNameAtANewcomer() {
        let network = GroupSimulation(seed: 4)
        network.addMember("alice")
        network.addMember("bob", peers: ["alice"])
        network.addMember("mallory", peers: ["alice"])
        #expect(network.run(until: .seconds(10)) { $0.isFullMesh })
        network.addMember("victim", peers: ["mallory"], startAt: network.elapsed)
        // Mallory's handshake with the newcomer completes (its introductions of alice and bob are on their way).
        #expect(network.run(until: network.elapsed + .seconds(10)) { network in
            network.core("mallory")?.members.contains { $0.name == "victim" && $0.wasSecured } ?? false
        })
        network.tamper("mallory") { core, now in core.forge("\u{1}cnick bob", to: "victim", now: now) }
        network.run(until: network.elapsed + .seconds(30))
        let bobKey = network.publicKey("bob")
        let victimsBobs = network.core("victim")?.members.filter { $0.isListed && $0.name == "bob" }.map(\.key) ?? []
        #expect(victimsBobs == [bobKey], "victim's bob is not bob's key")
        #expect(network.core("victim")?.members.contains { $0.isListed && $0.name == "mallory" } == true)
    }

    /// `join` added to the sender's rooms with no bound (`hello` caps them at 64): memory grew with every one. Now a
    /// member is kept in at most 64 rooms, and our own `/join` stops there too (so our `hello` is always readable).
    @Test("a member's join flood is bounded: at most 64 rooms per member are kept")
    func joinFloodIsBounded() {
        let network = GroupSimulation(seed: 5)
        network.addMember("alice")
        network.addMember("mallory", peers: ["alice"])
        #expect(network.run(until: .seconds(10)) { $0.isFullMesh })
        network.tamper("mallory") { core, now in
            for step in 0..<1000 { core.forge("\u{1}cjoin room\(step)", to: "alice", now: now) }
            core.forge("\u{1}cnick done", to: "alice", now: now)
        }
        #expect(network.run(until: network.elapsed + .seconds(30)) { network in
            network.roster("alice").contains { $0.name == "done" }
        })
        let rooms = network.roster("alice").first { $0.name == "done" }?.rooms.count ?? 0
        #expect(rooms <= GroupControl.maxRoomsPerMember, "alice keeps \(rooms) rooms for mallory")
    }

    @Test("/join past 64 rooms is refused with a notice, and the current room stays")
    func ownJoinsAreBounded() throws {
        var core = GroupCoreUnitTests.core(name: "alice")
        for step in 0..<GroupControl.maxRoomsPerMember { try core.submit("/join room\(step)", now: .zero) }
        _ = GroupCoreUnitTests.drainEvents(&core)
        try core.submit("/join one-too-many", now: .zero)
        let notices = GroupCoreUnitTests.drainEvents(&core).compactMap {
            if case .notice(let text, _) = $0 { text } else { nil }
        }
        #expect(notices == ["you are in 64 rooms already: /leave one before joining #one-too-many"])
        #expect(core.rooms.count == GroupControl.maxRoomsPerMember)
        #expect(core.currentRoom == "room\(GroupControl.maxRoomsPerMember - 1)")
        #expect(GroupControl(parsing: GroupControl.hello(name: "alice", rooms: core.rooms.sorted()).text) != nil)
    }

    /// Introductions are dialed for 60 s and then forgotten, but nothing stopped the same member introducing the same
    /// addresses again: with 60 made-up members at a third party's host every minute, the group knocked there for
    /// ever (~29 bytes of initiations per byte of introduction, at every member told). The forgotten entries also
    /// stayed in the member table. Now a member whose introductions went unanswered 8 times is not listened to
    /// again, and entries removed before they answered are dropped. Driven on one core (as if its session with
    /// mallory delivered the introductions), for speed.
    @Test("a member cannot keep the group knocking at a third party by re-introducing it, nor grow the table")
    func reintroductionsStopKnocking() {
        let mallory = PeerAddress(host: "10.0.0.2", port: 4000)
        var alice = GroupCoreUnitTests.core(name: "alice", peers: [mallory])
        // Mallory's entry, as after its handshake: control messages only ever come out of a secured session.
        alice.members[0].key = [UInt8](repeating: 0x4D, count: 32)
        alice.members[0].wasSecured = true
        let rounds = 6
        var introductionBytes = 0
        var knocks: [(time: Instant, bytes: Int)] = []
        var now = Instant.zero
        for round in 0..<rounds {
            for port in 1...60 {
                let key = (0..<32).map { UInt8(truncatingIfNeeded: port &* 7 &+ $0 &+ round &* 131) }
                let control = GroupControl.member(key: key, address: PeerAddress(host: "10.9.9.9", port: UInt16(port)),
                                                  name: "ghost\(round)x\(port)")
                introductionBytes += GroupEnvelope.control(control).text.utf8.count
                alice.act(on: control, from: 0, now: now)
            }
            let roundEnds = now + .seconds(61)
            while let deadline = alice.nextTimeout(), deadline <= roundEnds {
                now = max(now, deadline)
                alice.handleTimeout(now: now)
                while let transmit = alice.pollTransmit(now: now) {
                    if transmit.destination?.host == "10.9.9.9" { knocks.append((now, transmit.bytes.count)) }
                }
                while alice.pollEvent() != nil {}
            }
            now = roundEnds
        }
        let knockBytes = knocks.reduce(0) { $0 + $1.bytes }
        let lastMinutes = knocks.filter { $0.time >= now - .seconds(61 * 4) }
        print("red team: \(rounds) rounds of 60 introductions (\(introductionBytes) bytes from mallory): alice sent "
              + "\(knocks.count) initiations, \(knockBytes) bytes, to the third party; her table holds "
              + "\(alice.members.count) entries")
        #expect(lastMinutes.isEmpty, "still knocking: \(lastMinutes.count) initiations in the last 4 minutes")
        #expect(alice.members.count <= 2, "\(alice.members.count) entries")
    }

    /// A private line to a member that was introduced but never answers is dropped with it after 60 s; the sender
    /// exited as if everything was acknowledged (the README: exit 1 when a member in the roster did not acknowledge
    /// everything). Now a member we dialed and lost before it answered counts as not having acknowledged.
    @Test("a private line to an introduced member that never answers is not counted as acknowledged")
    func privateLineToALostIntroductionIsUnacknowledged() {
        let network = GroupSimulation(seed: 7, categories: [.status])
        network.addMember("alice")
        network.addMember("bob", peers: ["alice"])
        #expect(network.run(until: .seconds(10)) { $0.isFullMesh })
        network.tamper("bob") { core, now in
            let key = [UInt8](repeating: 0x42, count: 32)
            core.forge("\u{1}cmember \(GroupControl.hex(key)) 10.9.9.9 4000 carol", to: "alice", now: now)
        }
        #expect(network.run(until: network.elapsed + .seconds(2)) { network in
            network.roster("alice").contains { $0.name == "carol" }
        })
        network.type("/msg carol only for you", by: "alice", at: network.elapsed + .milliseconds(10))
        // Input ends after carol's introduction was forgotten (60 s): ended sooner, carol's session lingers out
        // unacknowledged and the outcome says so.
        network.endInput("alice", at: network.elapsed + .seconds(70))
        network.endInput("bob", at: network.elapsed + .seconds(70))
        network.run(until: network.elapsed + .seconds(180))
        #expect(network.core("alice")?.statistics.messagesSent == 1)
        guard case .closed(let outcome) = network.state("alice") else {
            Issue.record("alice did not finish: \(String(describing: network.state("alice")))")
            return
        }
        #expect(!outcome.everythingAcknowledged, "the line to carol counted as acknowledged (exit 0)")
    }

    /// The same for two peers: a `--dest-port` peer that never answers is forgotten after 10 minutes, and then the
    /// lines queued for it no longer counted, so a conversation that never happened ended "all acknowledged", exit 0
    /// (before groups, and now again, exit 1).
    @Test("lines to a dialed peer that never answered still count as unacknowledged once it is forgotten")
    func linesToAForgottenPeerStayUnacknowledged() throws {
        var alice = GroupCoreUnitTests.core(name: "alice", peers: [PeerAddress(host: "10.9.9.9", port: 4000)])
        try alice.submit("is anyone there?", now: .zero)
        var now = Instant.zero
        func run(until end: Instant) {
            while let deadline = alice.nextTimeout(), deadline <= end {
                now = max(now, deadline)
                alice.handleTimeout(now: now)
                while alice.pollTransmit(now: now) != nil {}
                while alice.pollEvent() != nil {}
            }
            now = max(now, end)
        }
        run(until: .zero + .seconds(11 * 60))
        alice.finishInput(now: now)
        run(until: now + .seconds(60))
        guard case .closed(let outcome) = alice.state else {
            Issue.record("alice did not finish: \(alice.state)")
            return
        }
        #expect(!outcome.everythingAcknowledged, "a line never delivered counted as acknowledged (exit 0)")
    }

    /// An introduction of a real member's key at a wrong address (from the member that introduces the others to a
    /// newcomer) makes an entry that never answers; when the real member's own handshake completed at its real
    /// address, it was a second entry with the same name and key, and `/msg` picked the first: the private line
    /// waited on the dead entry and was dropped with it 60 s later. Now the dead entry goes when the key answers
    /// elsewhere, and `/msg` prefers a member whose handshake completed.
    @Test("an introduction of a member's key at a wrong address cannot take that member's private lines")
    func wrongAddressIntroductionTakesPrivateLines() throws {
        let malloryAddress = PeerAddress(host: "10.0.0.2", port: 4000)
        let victimAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        let bobAddress = PeerAddress(host: "10.0.0.3", port: 4000)
        var victim = Self.member("victim", run: 1, peers: [malloryAddress])
        // Mallory's entry, as after its handshake (control messages only ever come out of a secured session).
        victim.members[0].key = [UInt8](repeating: 0x4D, count: 32)
        victim.members[0].wasSecured = true
        victim.members[0].name = "mallory"
        let bobKey = X25519.newPrivateKey()
        let wrongAddress = PeerAddress(host: "10.9.9.9", port: 9)
        victim.act(on: .member(key: X25519.publicKey(privateKey: bobKey), address: wrongAddress, name: "bob"),
                   from: 0, now: .zero)
        let hub = Hub()
        hub.add(victim, at: victimAddress)
        hub.add(Self.member("bob", key: bobKey, run: 3, peers: [victimAddress]), at: bobAddress)
        hub.run(for: .seconds(3))
        let members = hub.cores[victimAddress]?.members ?? []
        #expect(members.contains { $0.name == "bob" && $0.wasSecured }, "bob's own handshake completed")
        try hub.with(victimAddress) { core, now in try core.submit("/msg bob only for you", now: now) }
        hub.run(for: .seconds(5))
        #expect(hub.shown[bobAddress] == ["victim (private): only for you"])
        let roster = hub.cores[victimAddress]?.roster(now: hub.now) ?? []
        #expect(roster.filter { $0.name == "bob" }.count == 1, "\(roster)")
    }

    /// Members that came and went stayed in the table for good (only their session stopped): anyone able to complete
    /// a handshake — any key, in an open group — could grow every member's memory, and the time each input takes,
    /// by joining and vanishing under fresh keys. Now the entries of members removed from the roster are dropped,
    /// and their counters and outcome kept.
    @Test("members that join and vanish under fresh keys do not pile up in the table")
    func churnDoesNotPileUp() {
        let aliceAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        let hub = Hub()
        hub.add(Self.member("alice", run: 1), at: aliceAddress)
        var sybils = 0
        for _ in 0..<3 {
            let batch = (0..<8).map { _ in
                sybils += 1
                return PeerAddress(host: "10.1.0.\(sybils)", port: 4000)
            }
            for (offset, address) in batch.enumerated() {
                let sybil = Self.member("sybil\(sybils)x\(offset)", run: UInt64(1_000 * sybils + offset),
                                        peers: [aliceAddress], now: hub.now)
                hub.add(sybil, at: address)
            }
            hub.run(for: .seconds(5))
            #expect(hub.cores[aliceAddress]?.roster(now: hub.now).count == batch.count)
            for address in batch { hub.kill(address) }
            // Silent past `forgetAfter`: forgotten.
            hub.run(for: .seconds(11 * 60))
        }
        // The last batch's entries go at alice's next input; the two before are gone.
        let entries = hub.cores[aliceAddress]?.members.count ?? 0
        #expect(entries <= 8, "alice's table holds \(entries) entries for members long gone")
        // The summary's counters stay, though the entries that held them go.
        let before = hub.cores[aliceAddress]?.statistics
        hub.with(aliceAddress) { core, now in core.handleTimeout(now: now) }
        #expect(hub.cores[aliceAddress]?.members.isEmpty == true)
        #expect(hub.cores[aliceAddress]?.statistics == before)
    }

    /// A member that vanishes stays in the roster (offline) for `forgetAfter`, 10 minutes, and counted towards
    /// `maxMembers`: whoever could complete handshakes under throwaway keys filled the group with members that then
    /// went silent, and every genuine joiner was refused ("the group is full") until they were forgotten. Now a full
    /// group forgets the member silent the longest, if offline, to take a newcomer. (At 8 members here, for speed.)
    @Test("silent throwaway members that fill the group make room for a genuine joiner")
    func silentMembersFillTheGroup() {
        let aliceAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        let hub = Hub()
        hub.add(Self.member("alice", run: 1, maxMembers: 8), at: aliceAddress)
        let sybils = (1...8).map { PeerAddress(host: "10.1.0.\($0)", port: 4000) }
        for (offset, address) in sybils.enumerated() {
            hub.add(Self.member("sybil\(offset)", run: UInt64(100 + offset), peers: [aliceAddress]), at: address)
        }
        hub.run(for: .seconds(5))
        for address in sybils { hub.kill(address) }
        let joinerAddress = PeerAddress(host: "10.0.0.2", port: 4000)
        hub.add(Self.member("joiner", run: 2, peers: [aliceAddress], now: hub.now), at: joinerAddress)
        hub.run(for: .seconds(60))
        let roster = hub.cores[aliceAddress]?.roster(now: hub.now) ?? []
        #expect(roster.contains { $0.name == "joiner" && $0.online }, "joiner refused: \(roster.count) members")
    }

    // MARK: Names on screen

    /// Names refused controls and bidirectional marks, but not other spaces or invisible characters: a member called
    /// `alice` + NO-BREAK SPACE + `(private)` showed its general lines exactly as alice's private ones look, and
    /// `alice` + ZERO WIDTH SPACE was a second, different name that looks like alice (on `/nick`, in a handshake, in
    /// a room's name alike).
    @Test("names cannot hold spaces or invisible characters that make one line look like another's",
          arguments: ["alice\u{A0}(private)", "#ops\u{2002}alice", "alice\u{200B}", "alice\u{2060}", "al\u{AD}ice",
                      "alice\u{3000}", "\u{FEFF}alice", "alice\u{E0041}", "alice\u{2028}bob", "alice\u{115F}",
                      "alice\u{FE0F}", "alice\u{200D}", "1\u{200D}2", "\u{200D}\u{1F469}", "a\u{61C}b", "\u{3164}"])
    func namesCannotLookLikeOthers(name: String) {
        #expect(!Wire.isValidName(name), "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(GroupControl(parsing: "nick \(name)") == nil)
        #expect(ChatInput.parse("/nick \(name)") != .nick(name))
    }

    // MARK: Off-path

    /// Strangers were admitted at most 16 a second, group-wide, on their word: an off-path sender of 16 forged
    /// initiations a second (from one host, any listen ports it likes, no key needed) kept every genuine joiner's
    /// initiation refused. Now past a few a second a stranger must come back with a cookie sent to the address it
    /// gave, which a forger never sees.
    @Test("forged initiations from made-up addresses, many a second, do not keep a genuine joiner out")
    func forgedInitiationsDoNotKeepAJoinerOut() {
        #expect(Self.joinerGetsIn(underAttack: false), "without the forgeries the joiner gets in")
        #expect(Self.joinerGetsIn(underAttack: true), "the joiner never got in")
    }

    /// A member and a joiner dialing it, 10 ms apart, for 30 s; under attack, a forged initiation from another
    /// host reaches the member every millisecond (1,000 a second, each naming a new port).
    static func joinerGetsIn(underAttack: Bool) -> Bool {
        let memberAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        var member = Self.member("alice", run: 1)
        let joinerAddress = PeerAddress(host: "10.0.0.2", port: 4000)
        var joiner = Self.member("joiner", run: 2, peers: [memberAddress])
        func forged(port: UInt16) -> [UInt8] {
            var bytes: [UInt8] = [1, 0, 0, 0, UInt8(truncatingIfNeeded: port), UInt8(port >> 8), UInt8(port & 0xFF)]
            bytes += [UInt8](repeating: 9, count: 32)
            bytes += [UInt8(port >> 8), UInt8(port & 0xFF)] + [UInt8](repeating: 0, count: 23)
            return bytes
        }
        var forgedPort: UInt16 = 10_000
        // Everything between the two arrives 10 ms after it is sent (a 20 ms round trip).
        var inFlight: [(at: Instant, toMember: Bool, bytes: [UInt8])] = []
        var now = Instant.zero
        while now < .zero + .seconds(30) {
            if underAttack {
                forgedPort &+= 1
                forged(port: forgedPort).withUnsafeBytes {
                    member.receive($0, from: PeerAddress(host: "10.6.6.6", port: 7000), now: now)
                }
            }
            for datagram in inFlight where datagram.at <= now {
                datagram.bytes.withUnsafeBytes {
                    if datagram.toMember {
                        member.receive($0, from: PeerAddress(host: joinerAddress.host, port: 5000), now: now)
                    } else {
                        joiner.receive($0, from: PeerAddress(host: memberAddress.host, port: 5000), now: now)
                    }
                }
            }
            inFlight.removeAll { $0.at <= now }
            if let deadline = member.nextTimeout(), deadline <= now { member.handleTimeout(now: now) }
            if let deadline = joiner.nextTimeout(), deadline <= now { joiner.handleTimeout(now: now) }
            while let transmit = member.pollTransmit(now: now) {
                guard transmit.destination == joinerAddress else { continue }
                inFlight.append((now + .milliseconds(10), false, transmit.bytes))
            }
            while let transmit = joiner.pollTransmit(now: now) {
                inFlight.append((now + .milliseconds(10), true, transmit.bytes))
            }
            while member.pollEvent() != nil {}
            while joiner.pollEvent() != nil {}
            now = now + .milliseconds(1)
        }
        return member.roster(now: now).contains { $0.name == "joiner" }
    }

    // MARK: Red team 2

    /// A forged initiation (no psk) naming `port`, its ephemeral key made up from `seed`: what an off-path sender
    /// can write without any key.
    static func forgedInitiation(port: UInt16, seed: UInt32 = 0) -> [UInt8] {
        var bytes: [UInt8] = [1]
        bytes.appendBigEndianForTest(seed)
        bytes += [UInt8(port >> 8), UInt8(port & 0xFF)]
        bytes += (0..<32).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ Int(port) &+ $0) }
        bytes += [UInt8(port >> 8), UInt8(port & 0xFF)] + [UInt8](repeating: 0, count: 23)
        return bytes
    }

    /// alice (room for `maxMembers` others) with bob and carol joined through her, on a hub.
    static func smallGroup(maxMembers: Int) -> (Hub, alice: PeerAddress, bob: PeerAddress) {
        let aliceAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        let bobAddress = PeerAddress(host: "10.0.0.2", port: 4000)
        let hub = Hub()
        hub.add(Self.member("alice", run: 1, maxMembers: maxMembers), at: aliceAddress)
        hub.add(Self.member("bob", run: 2, peers: [aliceAddress]), at: bobAddress)
        hub.add(Self.member("carol", run: 3, peers: [aliceAddress]), at: PeerAddress(host: "10.0.0.3", port: 4000))
        hub.run(for: .seconds(3))
        return (hub, aliceAddress, bobAddress)
    }

    /// makeRoom ran for every stranger admitted, and the first 8 strangers of a second are admitted on their word:
    /// in a full group, ONE forged initiation from an off-path sender (any source, any port, no key) made alice
    /// forget bob after 5 s of loss (offline is 4.5 s), interrupting his session and dropping what was queued for
    /// him. Now a stranger that did not prove its address never makes a listed member go (it is asked for a
    /// cookie instead), and a member is forgotten to make room only after `silenceBeforeMakingRoom` (30 s).
    @Test("one forged initiation does not evict a member of a full group that was quiet for 5 s")
    func forgedInitiationDoesNotEvictAQuietMember() {
        let (hub, aliceAddress, bobAddress) = Self.smallGroup(maxMembers: 2)
        #expect(hub.cores[aliceAddress]?.roster(now: hub.now).map(\.name).sorted() == ["bob", "carol"])
        guard let bob = hub.cores[bobAddress] else { return }
        // Five and a half seconds of loss between bob and everyone.
        hub.kill(bobAddress)
        hub.run(for: .milliseconds(5500))
        #expect(hub.cores[aliceAddress]?.roster(now: hub.now).contains { $0.name == "bob" && !$0.online } == true)
        hub.inject(Self.forgedInitiation(port: 9999), to: aliceAddress, from: PeerAddress(host: "10.6.6.6", port: 7000))
        hub.run(for: .milliseconds(20))
        let names = hub.cores[aliceAddress]?.roster(now: hub.now).map(\.name) ?? []
        #expect(names.contains("bob"), "alice forgot bob for a forged initiation: \(names)")
        // Silent past `silenceBeforeMakingRoom` now: still, only a stranger that proved its address makes him go.
        hub.run(for: .seconds(30))
        hub.inject(Self.forgedInitiation(port: 9998), to: aliceAddress, from: PeerAddress(host: "10.6.6.6", port: 7000))
        hub.run(for: .milliseconds(20))
        let later = hub.cores[aliceAddress]?.roster(now: hub.now).map(\.name) ?? []
        #expect(later.contains("bob"), "alice forgot bob, silent 35 s, for a forged initiation: \(later)")
        hub.add(bob, at: bobAddress)
        hub.run(for: .seconds(5))
        #expect(hub.cores[aliceAddress]?.roster(now: hub.now).contains { $0.name == "bob" && $0.online } == true)
    }

    /// The same with a stranger that proved its address (an attacker with one real host, or an honest joiner):
    /// a member merely quiet for a few seconds stays; one silent for longer than `silenceBeforeMakingRoom` goes.
    @Test("a proven stranger evicts a quiet member only after a long silence")
    func provenStrangerEvictsOnlyTheLongSilent() {
        let (hub, aliceAddress, bobAddress) = Self.smallGroup(maxMembers: 2)
        hub.kill(bobAddress)
        hub.run(for: .milliseconds(5500))
        let joinerAddress = PeerAddress(host: "10.0.0.9", port: 4000)
        hub.add(Self.member("joiner", run: 9, peers: [aliceAddress], now: hub.now), at: joinerAddress)
        hub.run(for: .seconds(5))
        var names = hub.cores[aliceAddress]?.roster(now: hub.now).map(\.name) ?? []
        #expect(names.contains("bob") && !names.contains("joiner"), "\(names)")
        hub.run(for: .seconds(30))
        names = hub.cores[aliceAddress]?.roster(now: hub.now).map(\.name) ?? []
        #expect(!names.contains("bob") && names.contains("joiner"), "\(names)")
    }

    /// Strangers waiting for their handshake count towards `maxMembers`, and makeRoom only forgot listed members:
    /// an off-path forger keeping 16 forged strangers waiting (8 a second, each kept 10 s) took 16 places of the
    /// table, so a group within 16 of full refused every genuine joiner, for as long as the forgeries went on. Now
    /// a stranger that proved its address takes the place of the oldest that did not.
    @Test("forged strangers cannot hold the room a genuine joiner needs")
    func forgedStrangersDoNotFillTheRoom() {
        let (hub, aliceAddress, _) = Self.smallGroup(maxMembers: 18)
        let joinerAddress = PeerAddress(host: "10.0.0.9", port: 4000)
        var port: UInt16 = 10_000
        for step in 0..<3000 {
            // 1,000 forged initiations a second, each naming a new port, from a host no member is on.
            for _ in 0..<10 {
                port &+= 1
                hub.inject(Self.forgedInitiation(port: port, seed: UInt32(port)), to: aliceAddress,
                           from: PeerAddress(host: "10.6.6.6", port: 7000))
            }
            if step == 200 {
                hub.add(Self.member("joiner", run: 9, peers: [aliceAddress], now: hub.now), at: joinerAddress)
            }
            hub.run(for: .milliseconds(10))
        }
        let names = hub.cores[aliceAddress]?.roster(now: hub.now).map(\.name) ?? []
        #expect(names.contains("joiner"), "the joiner never got in: \(names)")
    }

    /// At most 64 strangers that proved their address were admitted a second, group-wide: an attacker with ONE
    /// real host gets cookies for 64 ports once (valid 2–4 minutes) and replays those initiations a few thousand
    /// times a second; the 64 were gone within the first milliseconds of each second and every genuine joiner's
    /// proven initiation was refused (`busy`). Now one host is admitted at most `provenStrangersPerHost` a second.
    @Test("one host replaying proven initiations does not use up the strangers' budget")
    func oneHostDoesNotUseUpTheProvenBudget() {
        let attackerHost = "10.6.6.6"
        let memberAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        var member = Self.member("alice", run: 1)
        let joinerAddress = PeerAddress(host: "10.0.0.2", port: 4000)
        var joiner: GroupCore?
        var proven: [[UInt8]] = []
        var inFlight: [(at: Instant, toMember: Bool, bytes: [UInt8])] = []
        var now = Instant.zero
        var joinedAt: Instant?
        var step = 0
        while now < .zero + .seconds(20), joinedAt == nil {
            step += 1
            if now < .zero + .milliseconds(100) {
                // Cookies for the attacker's own ports: one initiation a millisecond (the first 8 are answered).
                let initiation = Self.forgedInitiation(port: UInt16(20_000 + step), seed: UInt32(step))
                initiation.withUnsafeBytes { member.receive($0, from: PeerAddress(host: attackerHost, port: 7000), now: now) }
            } else {
                if joiner == nil {
                    joiner = Self.member("joiner", run: 2, peers: [memberAddress], now: now)
                }
                // Four replays of proven initiations and one forged one (for the unproven budget) a millisecond.
                for replay in 0..<4 where !proven.isEmpty {
                    proven[(step * 4 + replay) % proven.count].withUnsafeBytes {
                        member.receive($0, from: PeerAddress(host: attackerHost, port: 7000), now: now)
                    }
                }
                Self.forgedInitiation(port: UInt16(truncatingIfNeeded: 40_000 + step), seed: UInt32(step))
                    .withUnsafeBytes { member.receive($0, from: PeerAddress(host: "10.7.7.7", port: 7000), now: now) }
            }
            for datagram in inFlight where datagram.at <= now {
                datagram.bytes.withUnsafeBytes {
                    if datagram.toMember {
                        member.receive($0, from: PeerAddress(host: joinerAddress.host, port: 5000), now: now)
                    } else {
                        joiner?.receive($0, from: PeerAddress(host: memberAddress.host, port: 5000), now: now)
                    }
                }
            }
            inFlight.removeAll { $0.at <= now }
            if let deadline = member.nextTimeout(), deadline <= now { member.handleTimeout(now: now) }
            if let deadline = joiner?.nextTimeout(), deadline <= now { joiner?.handleTimeout(now: now) }
            while let transmit = member.pollTransmit(now: now) {
                if transmit.destination == joinerAddress {
                    inFlight.append((now + .milliseconds(10), false, transmit.bytes))
                } else if let destination = transmit.destination, destination.host == attackerHost,
                          transmit.bytes.count == SealedFraming.cookieReplyBytes, proven.count < 64 {
                    // The attacker reads its own cookie replies.
                    let port = destination.port
                    let initiation = Self.forgedInitiation(port: port, seed: UInt32(port) - 20_000)
                    proven.append(initiation + transmit.bytes[5...])
                }
            }
            while let transmit = joiner?.pollTransmit(now: now) {
                inFlight.append((now + .milliseconds(10), true, transmit.bytes))
            }
            while member.pollEvent() != nil {}
            while joiner?.pollEvent() != nil {}
            if joinedAt == nil, member.roster(now: now).contains(where: { $0.name == "joiner" }) { joinedAt = now }
            now = now + .milliseconds(1)
        }
        print("red team 2: \(proven.count) proven initiations replayed 4,000 a second from one host; the joiner "
              + "got in \(joinedAt.map { "at \($0)" } ?? "never (20 s)")")
        #expect(proven.count == 64)
        #expect(joinedAt.map { $0 < .zero + .seconds(2) } ?? false, "the joiner was kept out")
    }

    /// A cookie is bound to the address it was sent to (host and named port), to the initiation, and to 2–4
    /// minutes; anything else is refused, and an 80-byte initiation with a made-up cookie is just refused.
    @Test("a cookie is good only for its address, its initiation and four minutes at most")
    func cookiesAreBound() throws {
        let cookies = InitiationCookies()
        let initiation = Self.forgedInitiation(port: 4000, seed: 1)
        let sent = Instant.zero + .seconds(100)
        let reply = try #require(cookies.reply(to: initiation, boundTo: "10.0.0.1:4000", now: sent))
        let vouched = initiation + reply[5...]
        #expect(cookies.isVouched(vouched, boundTo: "10.0.0.1:4000", now: sent))
        #expect(cookies.isVouched(vouched, boundTo: "10.0.0.1:4000", now: sent + .seconds(139)))
        #expect(!cookies.isVouched(vouched, boundTo: "10.0.0.1:4000", now: sent + .seconds(140)))
        #expect(!cookies.isVouched(vouched, boundTo: "10.0.0.2:4000", now: sent))
        #expect(!cookies.isVouched(vouched, boundTo: "10.0.0.1:4001", now: sent))
        #expect(!cookies.isVouched(vouched, boundTo: "10.0.0.1:400", now: sent))
        #expect(!cookies.isVouched(Self.forgedInitiation(port: 4000, seed: 2) + reply[5...], boundTo: "10.0.0.1:4000",
                                   now: sent))
        #expect(!InitiationCookies().isVouched(vouched, boundTo: "10.0.0.1:4000", now: sent))
        var core = Self.member("alice", run: 1)
        for byte in [UInt8(0), 0xFF] {
            (initiation + [UInt8](repeating: byte, count: 16)).withUnsafeBytes {
                core.receive($0, from: PeerAddress(host: "10.0.0.1", port: 5000), now: .zero)
            }
        }
        #expect(core.roster(now: .zero).isEmpty)
    }

    /// Listed members that stay online are never forgotten to make room, whoever they are: an attacker with ONE
    /// host completes handshakes under throwaway keys from as many ports as the group has room, keeps them
    /// answering heartbeats (a few bytes a second each), and every genuine joiner is refused "the group is full".
    /// Nothing bounds the members one host may hold (honest members can share a host: a NAT, loopback), so this is
    /// not fixed here.
    @Test("online sybils from one host keep a genuine joiner out of a full group")
    func onlineSybilsFromOneHostKeepAJoinerOut() {
        let aliceAddress = PeerAddress(host: "10.0.0.1", port: 4000)
        let hub = Hub()
        hub.add(Self.member("alice", run: 1, maxMembers: 8), at: aliceAddress)
        for offset in 0..<8 {
            let port = UInt16(4001 + offset)
            hub.add(Self.member("sybil\(offset)", run: UInt64(100 + offset), peers: [aliceAddress], listenPort: port),
                    at: PeerAddress(host: "10.6.6.6", port: port))
        }
        hub.run(for: .seconds(5))
        let joinerAddress = PeerAddress(host: "10.0.0.2", port: 4000)
        hub.add(Self.member("joiner", run: 2, peers: [aliceAddress], now: hub.now), at: joinerAddress)
        hub.run(for: .seconds(60))
        let roster = hub.cores[aliceAddress]?.roster(now: hub.now) ?? []
        #expect(roster.filter { $0.name.hasPrefix("sybil") && $0.online }.count == 8)
        withKnownIssue("finding: one host's online sybils fill maxMembers and keep every joiner out") {
            #expect(roster.contains { $0.name == "joiner" }, "joiner refused: \(roster.count) members")
        }
    }
}

extension [UInt8] {
    mutating func appendBigEndianForTest(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}

extension GroupCore {
    /// A hostile member's raw session message to the member it calls `name`, bypassing the envelope an honest
    /// build always wraps typed text in.
    mutating func forge(_ body: String, to name: String, now: Instant) {
        guard let position = members.firstIndex(where: { !$0.removed && $0.name == name }) else { return }
        submit(body, to: position, now: now)
    }
}

/// Group cores on perfect links (each datagram arrives 10 ms after it is sent), driven from one event to the next on
/// a virtual clock: for attacks that need real handshakes between a few cores, without `GroupSimulation`'s bookkeeping.
/// Each core listens at HOST:4000 and sends from HOST:5000; a datagram to an address no core listens at is lost.
final class Hub {
    private(set) var cores: [PeerAddress: GroupCore] = [:]
    private var inFlight: [(at: Instant, to: PeerAddress, from: PeerAddress, bytes: [UInt8])] = []
    /// Lines each core showed, by its listen address.
    private(set) var shown: [PeerAddress: [String]] = [:]
    private(set) var now = Instant.zero

    /// Adds (or replaces) the core listening at `address`.
    func add(_ core: GroupCore, at address: PeerAddress) { cores[address] = core }

    /// A datagram from `source` reaching `address` now (a forger's: no core sends it).
    func inject(_ bytes: [UInt8], to address: PeerAddress, from source: PeerAddress) {
        inFlight.append((now, address, source, bytes))
    }

    /// Takes the core at `address` away, as a process killed: what reaches it is lost.
    func kill(_ address: PeerAddress) { cores[address] = nil }

    /// Lets a test act on the core at `address` now; what it sends then goes out as after any input.
    func with(_ address: PeerAddress, _ body: (inout GroupCore, Instant) throws -> Void) rethrows {
        guard var core = cores[address] else { return }
        try body(&core, now)
        cores[address] = core
        drain(address)
    }

    /// Runs `span` of virtual time.
    func run(for span: TimeSpan) {
        let end = now + span
        while true {
            var next = inFlight.map(\.at).min()
            for core in cores.values { if let deadline = core.nextTimeout() { next = min(next ?? deadline, deadline) } }
            guard let time = next, time <= end else { break }
            now = max(now, time)
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for datagram in due {
                guard var core = cores[datagram.to] else { continue }
                datagram.bytes.withUnsafeBytes { core.receive($0, from: datagram.from, now: now) }
                cores[datagram.to] = core
                drain(datagram.to)
            }
            for address in Array(cores.keys) {
                guard var core = cores[address], let deadline = core.nextTimeout(), deadline <= now else { continue }
                core.handleTimeout(now: now)
                cores[address] = core
                drain(address)
            }
        }
        now = max(now, end)
    }

    private func drain(_ address: PeerAddress) {
        guard var core = cores[address] else { return }
        while let transmit = core.pollTransmit(now: now) {
            guard let destination = transmit.destination else { continue }
            inFlight.append((now + .milliseconds(10), destination, PeerAddress(host: address.host, port: 5000),
                             transmit.bytes))
        }
        while core.pollEvent() != nil {}
        while let delivery = core.pollDelivery() { shown[address, default: []].append(delivery.line) }
        cores[address] = core
    }
}
