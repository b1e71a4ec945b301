import Peer
import PeerIdentity
import Synchronization

/// A chat's keys and trust, from the state directory: its identity (created on first use), the known peers it
/// has pinned, and `--psk` and `--expect-key`. New pins are written back as the handshakes make them.
final class Trust: Sendable {
    let security: RuntimeConfiguration.Security
    private let knownPeers: Mutex<KnownPeers>

    private init(security: RuntimeConfiguration.Security, knownPeers: KnownPeers) {
        self.security = security
        self.knownPeers = Mutex(knownPeers)
    }

    /// Loads (or creates) what `options` name. Throws, with the sentence to print, for a file that is missing,
    /// malformed or readable by others.
    static func load(_ options: ChatOptions) throws(StateFileError) -> Trust {
        let directory = try StateDirectory.forName(options.name, environment: StateEnvironment.current())
        try directory.create()
        let (identity, created) = try Identity.loadOrCreate(at: options.identityFile ?? directory.identityPath)
        if created {
            CommandLineTool.printError("peer: created a new identity for \(options.name) in "
                                       + (options.identityFile ?? directory.identityPath)
                                       + " (fingerprint \(identity.fingerprint))")
        }
        let knownPeers = try KnownPeers.load(from: directory.knownPeersPath)
        for problem in knownPeers.problems {
            CommandLineTool.printError("peer: \(directory.knownPeersPath) line \(problem.lineNumber) ignored: "
                                       + problem.reason)
        }
        var knownKeys: [String: [UInt8]] = [:]
        for entry in knownPeers.entries where knownKeys[entry.name] == nil { knownKeys[entry.name] = entry.publicKey }
        let preSharedKey = try options.preSharedKeyFile.map { path throws(StateFileError) in
            try PreSharedKey.load(from: path).bytes
        }
        let security = RuntimeConfiguration.Security(
            staticKey: identity.privateKey, preSharedKey: preSharedKey, knownKeys: knownKeys,
            expectedKey: options.expectedKey)
        return Trust(security: security, knownPeers: knownPeers)
    }

    /// Writes a first contact's key to the known peers; returns what went wrong, if anything.
    func pin(_ name: String, publicKey: [UInt8]) -> String? {
        knownPeers.withLock { peers in
            do throws(StateFileError) {
                _ = try peers.pin(name, publicKey: publicKey)
                return nil
            } catch {
                return "could not pin \(name)'s key: \(error.message)"
            }
        }
    }
}
