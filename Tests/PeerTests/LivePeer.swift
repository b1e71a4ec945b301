import Foundation
import Testing

/// A `peer` process a test talks to while it runs: its standard input stays open (a pipe) until the test closes
/// it, and its stdout and stderr are read as they come, so the test can wait for what the process says (a member
/// joined, a line arrived) before writing the next line — an observable condition instead of a sleep.
///
/// Each one has a state directory of its own (XDG_STATE_HOME), so members of one group share no identity or
/// known-peers file whatever their names.
final class LivePeer: @unchecked Sendable {
    // Everything below `condition` is guarded by it; that lock is why the class can be @unchecked Sendable.
    private let condition = NSCondition()
    private var stdoutText = ""
    private var stderrText = ""
    private var streamsOpen = 2
    private var exited = false

    let name: String
    private let process = Process()
    private let input = Pipe()
    private let stateDirectory: URL

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
        process.terminationHandler = { [condition] _ in
            condition.lock()
            self.exited = true
            condition.broadcast()
            condition.unlock()
        }
        try process.run()
        read(output.fileHandleForReading, isStdout: true)
        read(errors.fileHandleForReading, isStdout: false)
    }

    deinit {
        if process.isRunning { process.interrupt() }
        try? FileManager.default.removeItem(at: stateDirectory)
    }

    private func read(_ handle: FileHandle, isStdout: Bool) {
        let reader = Thread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty {
                    streamsOpen -= 1
                } else if isStdout {
                    stdoutText += String(decoding: chunk, as: UTF8.self)
                } else {
                    stderrText += String(decoding: chunk, as: UTF8.self)
                }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
        reader.start()
    }

    /// What it has written to stdout so far, line by line (a line not yet ended is left out).
    var stdoutLines: [String] { condition.withLock { Self.completeLines(stdoutText) } }

    /// What it has written to stderr so far, line by line.
    var stderrLines: [String] { condition.withLock { Self.completeLines(stderrText) } }

    private static func completeLines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // what follows the last newline: empty, or a line still being written
        return lines
    }

    /// Waits until `holds(stdoutLines, stderrLines)` is true, the process exits, or `timeout` passes; returns
    /// whether it holds.
    func waitUntil(timeout: TimeInterval = 60, _ holds: ([String], [String]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if holds(Self.completeLines(stdoutText), Self.completeLines(stderrText)) { return true }
            if exited && streamsOpen == 0 { return false }
            if !condition.wait(until: deadline) {
                return holds(Self.completeLines(stdoutText), Self.completeLines(stderrText))
            }
        }
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
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        while !(exited && streamsOpen == 0), condition.wait(until: deadline) {}
        let done = exited && streamsOpen == 0
        condition.unlock()
        if !done {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return condition.withLock {
            Outcome(name: name, status: done ? process.terminationStatus : nil,
                    stdout: Self.completeLines(stdoutText), stderr: Self.completeLines(stderrText))
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
}
