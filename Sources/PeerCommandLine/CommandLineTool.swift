import Glibc
import Peer
import PeerIdentity
import PeerSession
import PeerTransport
import PeerWire

/// The `peer` executable's entry point: parse, dispatch, return the exit status.
public enum CommandLineTool {
    /// Runs the command line and returns the process's exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        let command: Command
        do {
            command = try parseCommandLine(arguments)
        } catch {
            return usageFailure(error)
        }
        switch command {
        case .help:
            print(Usage.text)
            return 0
        case .version:
            print(Usage.version)
            return 0
        case .chat(let options):
            return ChatCommand.run(options)
        case .demo(let options):
            return DemoCommand.run(options)
        case .simulate(let options):
            return SimulateCommand.run(options)
        case .identity(let options):
            return IdentityCommand.run(options)
        case .keygenPreSharedKey:
            return KeygenCommand.run()
        case .forget(let options):
            return ForgetCommand.run(options)
        case .decode(let options):
            return DecodeCommand.run(options)
        }
    }

    /// Prints what is wrong and the short usage to stderr; returns 64.
    static func usageFailure(_ error: UsageError) -> Int32 {
        printError("peer: \(error.message)\n\n\(Usage.synopsis)")
        return Usage.usageExitCode
    }

    /// Prints the failure to stderr; returns 69.
    static func failure(_ message: String) -> Int32 {
        printError("peer: \(message)")
        return Usage.unavailableExitCode
    }

    /// Prints why a state file (identity, known peers, pre-shared key) was refused or could not be written;
    /// returns 78.
    static func refusedFile(_ error: StateFileError) -> Int32 {
        printError("peer: \(error.message)")
        return Usage.refusedFileExitCode
    }

    /// One line to stderr, unbuffered.
    static func printError(_ text: String) {
        writeAll(STDERR_FILENO, Array((text + "\n").utf8))
    }
}
