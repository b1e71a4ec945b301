import Foundation
import Testing

/// Groups through the `peer` executable as a user runs it: several processes on loopback, the first waiting and
/// the others naming it alone with `--peer`, their stdin a pipe the test writes to once the members have said
/// (on stderr) that the others joined. Checks the non-TTY contract of issue 10: stdout carries exactly one line
/// per message received (`NAME: text`, `#ROOM NAME: text`, `NAME (private): text`), each sender's lines once and
/// in order; notices go to stderr as `-- ` lines; every member exits 0 when all it sent was acknowledged.
@Suite(.serialized)
struct GroupExecutableTests {
    /// Starts one member per name: the first with no `--peer` (it waits), every other with `--peer` to the first
    /// only; `extra` is added to every member's arguments. Returns once every member has said every other joined.
    /// If the group does not form, every member started is stopped before the test fails.
    private func startGroup(_ names: [String], extra: [String] = []) throws -> [LivePeer] {
        let ports = try freePorts(names.count)
        var members: [LivePeer] = []
        func giveUp(_ problem: String) throws -> Never {
            for member in members { member.stop() }
            throw GroupNotFormed(problem: problem)
        }
        for (index, name) in names.enumerated() {
            let dial = index == 0 ? [] : ["--peer", "127.0.0.1:\(ports[0])"]
            members.append(try LivePeer(name: name, ["--listen-port", "\(ports[index])"] + dial + extra))
            // The others dial it at once: let it be listening first (its banner follows the bind).
            if index == 0, !members[0].waitUntil({ _, errors in errors.contains { $0.contains("listening on port") } }) {
                try giveUp("\(name) never said it was listening: \(members[0].stderrLines)")
            }
        }
        for member in members {
            let others = names.filter { $0 != member.name }
            if !member.waitForJoined(others) {
                try giveUp("\(member.name) never said all of \(others) joined: \(member.stderrLines.suffix(30))")
            }
        }
        return members
    }

    private struct GroupNotFormed: Error, CustomStringConvertible {
        var problem: String
        var description: String { "the group did not form: \(problem)" }
    }

    /// `shown` is exactly each sender's lines, formatted by `format`, each sender's in order, senders interleaved in
    /// any way, and nothing else.
    private func expectExactly(_ shown: [String], from sent: [String: [String]], at receiver: String,
                               format: (String, String) -> String = { "\($0): \($1)" },
                               sourceLocation: SourceLocation = #_sourceLocation) {
        var rest = shown
        for (sender, lines) in sent.sorted(by: { $0.key < $1.key }) {
            let expected = lines.map { format(sender, $0) }
            let mine = Set(expected)
            let fromSender = rest.filter { mine.contains($0) }
            let shownCount = fromSender.count
            #expect(fromSender == expected,
                    "\(receiver) showed \(shownCount) of \(sender)'s \(expected.count) lines, or not once each in order",
                    sourceLocation: sourceLocation)
            rest.removeAll { mine.contains($0) }
        }
        #expect(rest.isEmpty, "\(receiver)'s stdout has lines nobody sent it: \(rest.prefix(5))",
                sourceLocation: sourceLocation)
    }

    @Test("three members, B and C naming only A: stdout is exactly the other two's lines, once each, in order")
    func threeMembers() throws {
        let names = ["alice", "bob", "carol"]
        let members = try startGroup(names)
        // Text a parser could trip on: `: ` and `(private)` inside the text, a leading '-', non-ASCII.
        let sent = Dictionary(uniqueKeysWithValues: names.map { name in
            (name, (1...25).map { "\(name) \($0): -\($0) (private): ünïcødé ✓" })
        })
        for member in members {
            try member.type(sent[member.name] ?? [])
            member.closeInput()
        }
        let results = members.map { $0.finish() }
        for (member, result) in zip(members, results) {
            #expect(result.status == 0, "\(result.exitReport)")
            expectExactly(result.stdout, from: sent.filter { $0.key != member.name }, at: member.name)
            // Notices are `-- ` lines on stderr, never on stdout.
            for other in names where other != member.name {
                #expect(result.stderr.contains { $0.hasPrefix("-- \(other) joined") })
                #expect(result.stderr.contains { $0.hasPrefix("-- \(other) has finished") }, "\(result.stderr)")
            }
            #expect(!result.stdout.contains { $0.hasPrefix("--") })
            #expect(result.stderr.contains { $0.hasPrefix("summary \(member.name):") && $0.contains("sent=25 ") })
        }
    }

    @Test("rooms, private lines, //text and an unknown command, between real processes")
    func roomsAndPrivateLines() throws {
        let members = try startGroup(["alice", "bob", "carol"])
        let (alice, bob, carol) = (members[0], members[1], members[2])

        // alice joins first; bob's join then reaches a member already in the room, which says so: from then on
        // alice knows bob is in #ops and sends him its lines.
        try alice.type(["/join ops"])
        try #require(alice.waitUntil { _, errors in errors.contains { $0.hasPrefix("-- you joined #ops") } },
                     "\(alice.stderrLines.suffix(10))")
        try bob.type(["/join ops"])
        try #require(alice.waitUntil { _, errors in errors.contains("-- bob joined #ops") },
                     "\(alice.stderrLines.suffix(10))")

        try alice.type(["in ops only", "/msg carol secret", "/say general to everyone"])
        try carol.type(["//slash", "/bogus"])
        // carol's unknown command is answered before anything else is sent or shown.
        try #require(carol.waitUntil { _, errors in errors.contains { $0.hasPrefix("-- unknown command /bogus") } },
                     "\(carol.stderrLines.suffix(10))")
        for member in members { member.closeInput() }
        let (fromAlice, fromBob, fromCarol) = (alice.finish(), bob.finish(), carol.finish())

        for result in [fromAlice, fromBob, fromCarol] { #expect(result.status == 0, "\(result.exitReport)") }
        // #ops reaches bob alone; the private line carol alone; `//slash` is the line `/slash`, in general.
        expectExactly(fromAlice.stdout, from: ["carol": ["/slash"]], at: "alice")
        #expect(fromBob.stdout.sorted() == ["#ops alice: in ops only", "alice: to everyone", "carol: /slash"])
        if let inOps = fromBob.stdout.firstIndex(of: "#ops alice: in ops only"),
           let inGeneral = fromBob.stdout.firstIndex(of: "alice: to everyone") {
            #expect(inOps < inGeneral, "alice's lines out of order at bob: \(fromBob.stdout)")
        }
        #expect(fromCarol.stdout == ["alice (private): secret", "alice: to everyone"])
        // carol, not in #ops, never got its line's datagrams: no "not shown" notice either.
        #expect(!fromCarol.stderr.contains { $0.contains("#ops") }, "\(fromCarol.stderr)")
        // The unknown command: a notice on carol's stderr, nothing on anyone's stdout, nothing sent.
        #expect(!(fromAlice.stdout + fromBob.stdout + fromCarol.stdout).contains { $0.contains("bogus") })
        #expect(fromCarol.stderr.contains { $0.hasPrefix("summary carol:") && $0.contains("sent=1 ") })
    }

    // Sized for the test suite: issue 10's measurement (500 lines each) is scripts/group-load.
    @Test("eight members on loopback, --drop-rate 0.2 each, 60 lines each: every line once everywhere, in order")
    func eightLossyMembers() throws {
        let names = (1...8).map { "member\($0)" }
        let members = try startGroup(names, extra: ["--drop-rate", "0.2"])
        let sent = Dictionary(uniqueKeysWithValues: names.map { name in
            (name, (1...60).map { "\(name) line \($0) -\($0)" })
        })
        for member in members {
            try member.type(sent[member.name] ?? [])
            member.closeInput()
        }
        let results = members.map { $0.finish(timeout: 180) }
        for (member, result) in zip(members, results) {
            #expect(result.status == 0, "\(result.exitReport)")
            expectExactly(result.stdout, from: sent.filter { $0.key != member.name }, at: member.name)
        }
        // The loss was real: members dropped datagrams and replayed segments.
        let summaries = results.compactMap { $0.stderr.last { $0.hasPrefix("summary ") } }
        #expect(summaries.count == names.count)
        #expect(summaries.contains { !$0.contains(" dropped=0 ") }, "\(summaries)")
        #expect(summaries.contains { !$0.contains(" replayed=0 ") }, "\(summaries)")
    }

    @Test("names: two peers may share the default name, as before groups; a newcomer taking a member's name is refused")
    func names() throws {
        // Two peers that both kept `--name peer` (each with an identity of its own), dialing each other.
        let ports = try freePorts(2)
        let first = try LivePeer(name: "peer", ["--listen-port", "\(ports[0])", "--dest-port", "\(ports[1])"])
        let second = try LivePeer(name: "peer", ["--listen-port", "\(ports[1])", "--dest-port", "\(ports[0])"])
        try first.type(["from the first"])
        try second.type(["from the second"])
        first.closeInput()
        second.closeInput()
        let (one, two) = (first.finish(), second.finish())
        #expect(one.status == 0, "\(one.exitReport)")
        #expect(two.status == 0, "\(two.exitReport)")
        #expect(one.stdout == ["peer: from the second"])
        #expect(two.stdout == ["peer: from the first"])

        // A group: a second bob, with a key of its own, joins through alice and is refused there in words that say
        // the name is taken (not that bob's key changed); nothing it types is shown.
        let members = try startGroup(["alice", "bob"])
        let banner = try #require(members[0].stderrLines.first { $0.contains("listening on port ") })
        let alicePort = try #require(banner.components(separatedBy: "listening on port ").last?
            .prefix { $0.isNumber })
        let impostor = try LivePeer(name: "bob", ["--listen-port", "\(try freePorts(1)[0])",
                                                  "--peer", "127.0.0.1:\(alicePort)"])
        let refused = members[0].waitUntil { _, errors in
            errors.contains { $0.hasPrefix("-- refused a newcomer") && $0.contains("bob is already in this group") }
        }
        #expect(refused, "\(members[0].stderrLines.suffix(10))")
        try impostor.type(["I am bob too"])
        impostor.closeInput()
        for member in members { member.closeInput() }
        let results = members.map { $0.finish() }
        _ = impostor.finish(timeout: 30)
        for result in results {
            #expect(result.status == 0, "\(result.exitReport)")
            #expect(!result.stdout.contains { $0.contains("I am bob too") })
            #expect(!result.stderr.contains { $0.contains("key changed") }, "\(result.stderr)")
        }
    }
}
