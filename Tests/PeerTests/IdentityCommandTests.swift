import Foundation
import Glibc
@testable import PeerCommandLine
import PeerIdentity
import Testing

/// `peer id`, `peer keygen --psk` and `peer forget` as a user runs them, with HOME and XDG_STATE_HOME pointing
/// at a temporary directory (never the real home), and how their command lines are parsed.
struct IdentityCommandTests {
    /// A temporary home for one test, removed afterwards.
    final class Home {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("peer-home-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// This process's environment with HOME here and XDG_STATE_HOME at `state` (unset when nil).
        func environment(state: String? = nil) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = path
            environment["XDG_STATE_HOME"] = state
            return environment
        }
    }

    private func mode(_ path: String) -> mode_t? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        return status.st_mode & 0o7777
    }

    @Test("peer id creates the identity under XDG_STATE_HOME once, says so on stderr, and prints its fingerprint")
    func idCreatesThenReuses() throws {
        let home = try Home()
        let environment = home.environment(state: home.path + "/state")
        let first = try PeerProcess(["id", "--name", "alice"], input: "", environment: environment).finish()
        let identityPath = home.path + "/state/peer/alice/identity"
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr == "peer: created a new identity for alice in \(identityPath)\n")
        let identity = try #require(try Identity.load(from: identityPath))
        #expect(first.stdout == "\(identity.fingerprint)\n")
        #expect(mode(identityPath) == 0o600)
        #expect(mode(home.path + "/state/peer/alice") == 0o700)

        let second = try PeerProcess(["id", "--name=alice"], input: "", environment: environment).finish()
        #expect(second.status == 0)
        #expect(second.stdout == first.stdout)
        #expect(second.stderr.isEmpty)
        // Another name, another identity.
        let bob = try PeerProcess(["id", "--name", "bob"], input: "", environment: environment).finish()
        #expect(bob.status == 0)
        #expect(bob.stdout != first.stdout)
    }

    @Test("without XDG_STATE_HOME the identity lives in ~/.local/state/peer/NAME; --identity FILE overrides both")
    func idLocations() throws {
        let home = try Home()
        let result = try PeerProcess(["id"], input: "", environment: home.environment()).finish()
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: home.path + "/.local/state/peer/peer/identity"))
        let file = home.path + "/my-identity"
        let chosen = try PeerProcess(["id", "--identity", file], input: "", environment: home.environment()).finish()
        #expect(chosen.status == 0)
        #expect(chosen.stderr == "peer: created a new identity in \(file)\n")
        #expect(chosen.stdout == "\(try #require(try Identity.load(from: file)).fingerprint)\n")
    }

    @Test("peer id refuses a readable identity file with the chmod sentence, and a name that leaves peer/; exit 78")
    func idRefusals() throws {
        let home = try Home()
        let file = home.path + "/identity"
        _ = try PeerProcess(["id", "--identity", file], input: "", environment: home.environment()).finish()
        chmod(file, 0o644)
        let exposed = try PeerProcess(["id", "--identity", file], input: "", environment: home.environment()).finish()
        #expect(exposed.status == 78)
        #expect(exposed.stderr == "peer: identity file \(file) is readable by other users (mode 0644); "
                + "run chmod 600 \(file)\n")
        #expect(exposed.stdout.isEmpty)
        let escape = try PeerProcess(["id", "--name", ".."], input: "", environment: home.environment()).finish()
        #expect(escape.status == 78)
        #expect(escape.stderr.contains("choose another --name"))
        #expect(!FileManager.default.fileExists(atPath: home.path + "/.local"))  // refused before creating anything
    }

    @Test("peer keygen --psk prints a key --psk can read; redirected to a 0644 file, the file becomes 0600")
    func keygen() throws {
        let home = try Home()
        let printed = try PeerProcess(["keygen", "--psk"], input: "", environment: home.environment()).finish()
        #expect(printed.status == 0)
        #expect(printed.stdout.hasPrefix("# peer pre-shared key v1"))
        #expect(try PreSharedKey.parse(printed.stdout, path: "stdout").bytes.count == 32)

        let file = home.path + "/psk"
        #expect(FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o644]))
        let process = Process()
        process.executableURL = try peerExecutable()
        process.arguments = ["keygen", "--psk"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(mode(file) == 0o600)
        let key = try PreSharedKey.load(from: file)
        #expect(try PreSharedKey.parse(printed.stdout, path: "stdout").bytes != key.bytes)

        let bare = try PeerProcess(["keygen"], input: "", environment: home.environment()).finish()
        #expect(bare.status == 64)
        #expect(bare.stderr.contains("peer keygen needs --psk"))
    }

    @Test("peer forget removes the name from MYNAME's known peers, says what it removed, keeps damaged lines")
    func forget() throws {
        let home = try Home()
        let directory = home.path + "/state/peer/alice"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/known-peers"
        let bobKey = [UInt8](repeating: 0xB0, count: 32)
        var known = KnownPeers(path: path, text: "")
        #expect(try known.pin("bob", publicKey: bobKey, now: 1_748_779_200) == .pinned)
        #expect(try known.pin("carol", publicKey: [UInt8](repeating: 0xCA, count: 32)) == .pinned)
        let damaged = "this line is damaged \u{1B}[2J"
        try (String(contentsOfFile: path, encoding: .utf8) + damaged + "\n").write(toFile: path, atomically: false,
                                                                                   encoding: .utf8)
        let environment = home.environment(state: home.path + "/state")

        let result = try PeerProcess(["forget", "bob", "--name", "alice"], input: "", environment: environment).finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "removed bob from alice's known peers: key \(Fingerprint(publicKey: bobKey)), "
                + "first seen 2025-06-01T12:00:00Z\n")
        #expect(result.stderr == "peer: \(path) line 3 is not used and was kept as it is (not NAME PUBLIC-KEY "
                + "FIRST-SEEN # FINGERPRINT): this line is damaged ^[[2J\n")
        let after = try KnownPeers.load(from: path)
        #expect(after.lookup("bob") == nil)
        #expect(after.lookup("carol") != nil)
        #expect(after.problems.map(\.line) == [damaged])

        let again = try PeerProcess(["forget", "--name", "alice", "bob"], input: "", environment: environment).finish()
        #expect(again.status == 1)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.contains("bob is not among alice's known peers (\(path)); nothing removed"))
    }

    @Test func parsing() throws {
        #expect(try parseCommandLine(["id"]) == .identity(IdentityOptions()))
        #expect(try parseCommandLine(["id", "--name", "Zoë", "--identity=/x"])
                == .identity(IdentityOptions(name: "Zoë", identityFile: "/x")))
        #expect(try parseCommandLine(["keygen", "--psk"]) == .keygenPreSharedKey)
        #expect(try parseCommandLine(["forget", "bob"]) == .forget(ForgetOptions(peer: "bob")))
        #expect(try parseCommandLine(["forget", "--name", "alice", "bob"])
                == .forget(ForgetOptions(peer: "bob", name: "alice")))
        #expect(try parseCommandLine(["forget", "--", "-bob"]) == .forget(ForgetOptions(peer: "-bob")))
    }

    @Test("refusals", arguments: [
        (["id", "--name", "a b"], "--name must be"),
        (["id", "--identity", ""], "--identity needs a file name"),
        (["id", "--psk"], "unknown option --psk for peer id"),
        (["id", "extra"], "unexpected argument extra"),
        (["keygen"], "peer keygen needs --psk"),
        (["keygen", "--identity"], "unknown option --identity for peer keygen"),
        (["forget"], "needs the NAME"),
        (["forget", "bob", "carol"], "takes one NAME"),
        (["forget", "a=b"], "needs a peer's name"),
        (["forget", "bob", "--verbose"], "unknown option --verbose for peer forget"),
    ])
    func refusals(arguments: [String], fragment: String) {
        #expect {
            _ = try parseCommandLine(arguments)
        } throws: { error in
            (error as? UsageError)?.message.contains(fragment) == true
        }
    }
}
