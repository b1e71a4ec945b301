import Glibc
import PeerIdentity

/// `peer id`: prints the fingerprint of a name's identity on stdout, creating the identity first when there is
/// none (and saying so on stderr, since a new identity means a new fingerprint for everyone who knew the old).
enum IdentityCommand {
    static func run(_ options: IdentityOptions) -> Int32 {
        do throws(StateFileError) {
            let path: String
            if let file = options.identityFile {
                path = file
            } else {
                let directory = try StateDirectory.forName(options.name, environment: StateEnvironment.current())
                try directory.create()
                path = directory.identityPath
            }
            let (identity, created) = try Identity.loadOrCreate(at: path)
            if created {
                let whose = options.identityFile == nil ? " for \(options.name)" : ""
                CommandLineTool.printError("peer: created a new identity\(whose) in \(path)")
            }
            writeAll(STDOUT_FILENO, Array("\(identity.fingerprint)\n".utf8))
            return 0
        } catch {
            return CommandLineTool.refusedFile(error)
        }
    }
}
