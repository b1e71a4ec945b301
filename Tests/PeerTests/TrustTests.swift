import Foundation
import Testing

/// PEER/2's trust, as a user meets it with the `peer` executable: the first contact pins, a changed key is refused
/// and said plainly, a wrong `--psk` is reported on both sides, `--expect-key` refuses any other key.
struct TrustTests {
    /// A state home of the test's own, so pins start empty and persist between the runs of one test.
    final class StateHome {
        let path: String

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("peer-trust-\(UUID())").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// An environment whose XDG_STATE_HOME is `state` under this home (one per side, as two machines have).
        func environment(_ state: String) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_STATE_HOME"] = path + "/" + state
            return environment
        }

        func write(_ name: String, _ text: String, mode: Int = 0o600) throws -> String {
            let file = path + "/" + name
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
            return file
        }
    }

    /// Alice and bob, each with its own state, chatting once with `extra` options each.
    static func chat(_ home: StateHome, aliceInput: String, bobInput: String, aliceExtra: [String] = [],
                     bobExtra: [String] = [], bobState: String = "bob") throws -> (Finished, Finished) {
        let ports = try freePorts(4)
        let alice = try PeerProcess(
            ["--source-port", "\(ports[0])", "--listen-port", "\(ports[1])", "--dest-port", "\(ports[3])",
             "--name", "alice", "--linger", "2"] + aliceExtra,
            input: aliceInput, environment: home.environment("alice"))
        let bob = try PeerProcess(
            ["--source-port", "\(ports[2])", "--listen-port", "\(ports[3])", "--dest-port", "\(ports[1])",
             "--name", "bob", "--linger", "2"] + bobExtra,
            input: bobInput, environment: home.environment(bobState))
        return (try alice.finish(), try bob.finish())
    }

    @Test("first contact is pinned and said once; the next chat is quiet; a new key for bob is refused, plainly")
    func pinningAndKeyChange() throws {
        let home = try StateHome()
        let (first, firstBob) = try Self.chat(home, aliceInput: "hello\n", bobInput: "hi\n")
        #expect(first.status == 0 && firstBob.status == 0, "\(first.stderr.suffix(1500))")
        #expect(first.stdout == "bob: hi\n")
        #expect(first.stderr.contains("pinned name=bob"))
        #expect(first.stderr.contains("-- first contact with bob, key "))
        let knownPeers = try String(contentsOfFile: home.path + "/alice/peer/alice/known-peers", encoding: .utf8)
        #expect(knownPeers.contains("bob "))

        let (second, _) = try Self.chat(home, aliceInput: "again\n", bobInput: "again\n")
        #expect(second.status == 0)
        #expect(!second.stderr.contains("pinned"), "a known key is not announced again")

        // Bob with another identity (another state directory): alice refuses it and shows nothing of it.
        let (third, thirdBob) = try Self.chat(home, aliceInput: "who are you?\n", bobInput: "trust me\n",
                                              bobState: "impostor")
        #expect(third.stdout.isEmpty)
        #expect(third.status == 1)
        #expect(thirdBob.status == 1)
        #expect(third.stderr.contains("key-refused name=bob"))
        #expect(third.stderr.contains("reason=key-changed"))
        #expect(third.stderr.contains("-- bob's key changed"))
        #expect(third.stderr.contains("run `peer forget bob`; otherwise someone is impersonating bob"))
        let stillPinned = try String(contentsOfFile: home.path + "/alice/peer/alice/known-peers", encoding: .utf8)
        #expect(stillPinned == knownPeers, "the pinned key is never replaced")
    }

    @Test("a wrong --psk: both sides say the handshake failed and why it may, show nothing, exit 1")
    func wrongPreSharedKey() throws {
        let home = try StateHome()
        let one = try home.write("one.psk", "# psk\n" + String(repeating: "ab", count: 32) + "\n")
        let two = try home.write("two.psk", "# psk\n" + String(repeating: "cd", count: 32) + "\n")
        let (alice, bob) = try Self.chat(home, aliceInput: "secret\n", bobInput: "secret\n",
                                         aliceExtra: ["--psk", one], bobExtra: ["--psk", two])
        for side in [alice, bob] {
            #expect(side.status == 1)
            #expect(side.stdout.isEmpty)
            #expect(side.stderr.contains("do both sides use the same --psk?"), "\(side.stderr.suffix(1500))")
        }
        let (aliceAgain, bobAgain) = try Self.chat(home, aliceInput: "secret\n", bobInput: "secret\n",
                                                   aliceExtra: ["--psk", one], bobExtra: ["--psk", one])
        #expect(aliceAgain.status == 0 && bobAgain.status == 0)
        #expect(aliceAgain.stdout == "bob: secret\n")
    }

    @Test("a psk file others can read is refused before anything starts (exit 78)")
    func readablePreSharedKey() throws {
        let home = try StateHome()
        let file = try home.write("open.psk", "# psk\n" + String(repeating: "ab", count: 32) + "\n", mode: 0o644)
        let (alice, _) = try Self.chat(home, aliceInput: "", bobInput: "", aliceExtra: ["--psk", file])
        #expect(alice.status == 78)
        #expect(alice.stderr.contains("chmod 600"))
    }

    @Test("--expect-key: the right fingerprint is accepted on first contact, any other refused")
    func expectKey() throws {
        let home = try StateHome()
        let id = try PeerProcess(["id", "--name", "bob"], input: "", environment: home.environment("bob")).finish()
        let fingerprint = id.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (good, _) = try Self.chat(home, aliceInput: "hello\n", bobInput: "hi\n",
                                      aliceExtra: ["--expect-key", fingerprint])
        #expect(good.status == 0, "\(good.stderr.suffix(1500))")
        #expect(good.stdout == "bob: hi\n")
        let wrong = String(repeating: "0000-", count: 7) + "0000"
        let home2 = try StateHome()
        let (refused, _) = try Self.chat(home2, aliceInput: "hello\n", bobInput: "hi\n",
                                         aliceExtra: ["--expect-key", wrong])
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("reason=not-expected-key"))
    }
}
