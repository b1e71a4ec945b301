import Foundation
import Testing

/// A `peer` process a test talks to while it runs: its standard input stays open (a pipe) until the test closes
/// it, and its stdout and stderr are read as they come, so the test can wait for what the process says (a member
/// joined, a line arrived) before writing the next line — an observable condition instead of a sleep.
///
/// Each one has a state directory of its own (XDG_STATE_HOME), so members of one group share no identity or
/// known-peers file whatever their names.
final class LivePeer {
    let name: String
    private let process = Process()
    private let input = Pipe()
    private let stateDirectory: URL
    /// What the reader threads collect. Kept apart from `self` so that a test that stops early (a failed
    /// `#require`) still drops the `LivePeer`, whose `deinit` then stops the process.
    private let transcript = Transcript()

    /// Starts `peer --name NAME` with `arguments` after it.
    init(name: String, _ arguments: [String]) throws {
        signal(SIGPIPE, SIG_IGN)
        self.name = name
        stateDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("peer-live-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_STATE_HOME"] = stateDirectory.path
        process.executableURL = try peerExecutable()
        process.arguments = ["--name", name] + arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        process.terminationHandler = { [transcript] _ in transcript.update { $0.exited = true } }
        try process.run()
        transcript.read(output.fileHandleForReading, into: \.stdout)
        transcript.read(errors.fileHandleForReading, into: \.stderr)
    }

    deinit {
        stop()
    }

    /// Stops the process at once if it still runs (SIGINT: it prints its summary and exits), and removes its state
    /// directory. For a test that gives up early: its members must not outlive it.
    func stop() {
        if process.isRunning {
            process.interrupt()
            try? input.fileHandleForWriting.close()
            _ = transcript.wait(until: Date(timeIntervalSinceNow: 10)) { $0.exited ? true : nil }
        }
        try? FileManager.default.removeItem(at: stateDirectory)
    }

    /// What it has written to stdout so far, line by line (a line not yet ended is left out).
    var stdoutLines: [String] { transcript.update { Self.completeLines($0.stdout) } }

    /// What it has written to stderr so far, line by line.
    var stderrLines: [String] { transcript.update { Self.completeLines($0.stderr) } }

    private static func completeLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // what follows the last newline: empty, or a line still being written
        return lines
    }

    /// Waits until `holds(stdoutLines, stderrLines)` is true, the process exits, or `timeout` passes; returns
    /// whether it holds.
    func waitUntil(timeout: TimeInterval = 60, _ holds: ([String], [String]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        return transcript.wait(until: deadline) { state in
            if holds(Self.completeLines(state.stdout), Self.completeLines(state.stderr)) { return true }
            return state.isOver ? false : nil
        } ?? false
    }

    /// Waits until its stderr says `-- NAME joined` for each of `names`.
    func waitForJoined(_ names: [String], timeout: TimeInterval = 60) -> Bool {
        waitUntil(timeout: timeout) { _, errors in
            names.allSatisfy { other in errors.contains { $0.hasPrefix("-- \(other) joined") } }
        }
    }

    /// Writes `lines` to its standard input, each ended by a newline. A process that already exited makes this
    /// throw (EPIPE; SIGPIPE is ignored here so that it cannot kill the test run instead).
    func type(_ lines: [String]) throws {
        try input.fileHandleForWriting.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Closes its standard input: its end of input.
    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    /// Waits for it to exit and for its output to be read to the end; after `timeout` it is killed and the
    /// result says so (status nil).
    func finish(timeout: TimeInterval = 120) -> Outcome {
        let done = transcript.wait(until: Date(timeIntervalSinceNow: timeout)) { $0.isOver ? true : nil } ?? false
        if !done {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: stateDirectory)
        return transcript.update { state in
            Outcome(name: name, status: done ? process.terminationStatus : nil,
                    stdout: Self.completeLines(state.stdout), stderr: Self.completeLines(state.stderr))
        }
    }

    /// How a process ended: its exit status (nil: killed after the timeout) and everything it wrote.
    struct Outcome {
        var name: String
        var status: Int32?
        var stdout: [String]
        var stderr: [String]

        /// Why the exit status is not 0, for a failed expectation: the status and the end of its log.
        var exitReport: String {
            "\(name) exited \(status.map(String.init) ?? "(killed: no exit in time)"): \(stderr.suffix(20))"
        }
    }

    /// A process's output as read so far, and whether it is over, behind one lock that waiters sleep on.
    final class Transcript: @unchecked Sendable {
        struct State {
            var stdout = ""
            var stderr = ""
            var streamsOpen = 2
            var exited = false
            /// Exited, and both streams read to their end.
            var isOver: Bool { exited && streamsOpen == 0 }
        }

        // `state` is guarded by `condition`; that lock is why the class can be @unchecked Sendable.
        private let condition = NSCondition()
        private var state = State()

        /// Runs `body` on the state under the lock and wakes every waiter.
        func update<Result>(_ body: (inout State) -> Result) -> Result {
            condition.lock()
            defer {
                condition.broadcast()
                condition.unlock()
            }
            return body(&state)
        }

        /// Waits until `decide` returns an answer (non-nil) or the deadline passes (nil).
        func wait(until deadline: Date, _ decide: (State) -> Bool?) -> Bool? {
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let answer = decide(state) { return answer }
                guard condition.wait(until: deadline) else { return decide(state) }
            }
        }

        /// Appends what `handle` yields to one of the streams, on a thread of its own, until end of file.
        func read(_ handle: FileHandle, into stream: WritableKeyPath<State, String> & Sendable) {
            let reader = Thread { [self] in
                while true {
                    let chunk = handle.availableData
                    update { state in
                        if chunk.isEmpty {
                            state.streamsOpen -= 1
                        } else {
                            state[keyPath: stream] += String(decoding: chunk, as: UTF8.self)
                        }
                    }
                    if chunk.isEmpty { return }
                }
            }
            reader.start()
        }
    }
}
