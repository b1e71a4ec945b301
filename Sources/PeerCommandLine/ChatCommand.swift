import Dispatch
import Foundation
import Peer
import PeerChannel
import PeerGroup
import PeerIdentity
import PeerSession
import PeerTransport
import PeerWire
import Synchronization

/// `peer --source-port … --listen-port … --dest-port …`: one side of a chat, interactive or scripted.
enum ChatCommand {
    static func run(_ options: ChatOptions) -> Int32 {
        var peers: [SocketAddress] = []
        for peer in options.allPeers {
            do {
                peers.append(try SocketAddress.resolve(host: peer.host, port: peer.port))
            } catch {
                return CommandLineTool.usageFailure(UsageError("\(peer.host): \(error)"))
            }
        }
        let logWriter: LineWriter
        do {
            logWriter = try options.logFile.map { path throws(UsageError) in try LineWriter(path: path) }
                ?? LineWriter(descriptor: STDERR_FILENO)
        } catch {
            return CommandLineTool.usageFailure(error)
        }
        let seed = options.seed ?? UInt64.random(in: 0...999_999)
        let trust: Trust?
        do throws(StateFileError) {
            trust = options.wire == .peer ? try Trust.load(options) : nil
        } catch {
            return CommandLineTool.refusedFile(error)
        }
        let keyLog: KeyLogFile?
        do throws(StateFileError) {
            keyLog = try options.keyLogFile.map { path throws(StateFileError) in try KeyLogFile(appendingTo: path) }
        } catch {
            return CommandLineTool.refusedFile(error)
        }
        var security = trust?.security
        security?.exportsKeys = keyLog != nil
        let configuration = RuntimeConfiguration(
            name: options.name, listenPort: options.listenPort, sourcePort: options.sourcePort,
            impairments: options.impairments, seed: seed, linger: options.linger,
            loggedCategories: options.verbose ? Set(EventCategory.allCases) : [.repair, .status], wire: options.wire,
            // On an interactive screen a flood shows as one line a second per kind (the first, then summaries).
            repeatsLoggedPerSecond: options.logFile == nil && Terminal.isInteractive ? 1 : 3,
            security: security)
        let runtime: PeerRuntime
        do {
            runtime = try PeerRuntime(configuration: configuration)
        } catch {
            return CommandLineTool.failure("cannot listen on port \(options.listenPort): \(error)")
        }

        let terminal = Terminal()
        let stdoutWriter = LineWriter(descriptor: STDOUT_FILENO)
        let screen = Screen(terminal: terminal, stdout: stdoutWriter, log: logWriter,
                            logFormat: options.logFormat, logToTerminal: terminal != nil && options.logFile == nil,
                            membersNoticed: options.wire == .peer)
        let output = RuntimeOutput(
            deliver: { screen.show($0) }, log: { screen.log($0) },
            idle: { screen.flush() },
            pinned: { name, publicKey in
                guard let trust else { return }
                if let problem = trust.pin(name, publicKey: publicKey) { screen.status("peer: \(problem)") }
            },
            keyLog: { entry in
                guard let keyLog, !keyLog.append(KeyLog.line(for: entry)) else { return }
                screen.status("peer: could not write to the key log \(keyLog.path): \(String(cString: strerror(errno)))")
            })
        let signals = SignalHandlers { runtime.interrupt() }
        // The banner comes first, before the protocol thread can log anything.
        let whom = peers.isEmpty ? "waiting for others to join"
            : "talking to " + peers.map(\.description).joined(separator: ", ")
        screen.status("peer \(options.name): listening on port \(runtime.listenPort), \(whom)"
                      + (options.wire == .seed
                         ? ", speaking the original clients' format (--wire seed): in the clear, not encrypted or "
                           + "authenticated"
                         : "")
                      + (options.impairments.isEmpty ? "" : ", impairing datagrams: \(describe(options)) (seed \(seed))")
                      + (keyLog.map { ", appending this conversation's keys to \($0.path) (--keylog: whoever reads "
                                      + "that file can read and forge the conversation)" } ?? ""))
        do {
            try runtime.start(peers: peers, output: output)
        } catch {
            terminal?.restore()
            return CommandLineTool.failure("cannot bind the source port \(options.sourcePort): \(error)")
        }

        // `/quit` ends the input (and leaves, in the core): what follows it is not read (so not counted as unsent).
        let groupCommands = options.wire == .peer
        let quits: @Sendable (String) -> Bool = { line in groupCommands && ChatInput.parse(line) == .quit }
        let reader = Thread {
            if let terminal {
                var quitted = false
                while let line = terminal.readLine() {
                    guard runtime.submit(line) else { return }
                    if quits(line) {
                        quitted = true
                        break
                    }
                }
                // After /quit the core says it is leaving; after Ctrl-D we say why we are still here.
                terminal.endInput(quitted ? nil
                    : "-- end of input: receiving until the others finish too (Ctrl-C stops now"
                        + (groupCommands ? "; /quit instead of Ctrl-D leaves without waiting)" : ")"))
            } else {
                while let line = readLine(strippingNewline: true) {
                    guard runtime.submit(line) else { return }
                    if quits(line) { break }
                }
            }
            runtime.finishInput()
        }
        reader.start()

        let summary = runtime.wait()
        withExtendedLifetime(signals) {}
        terminal?.restore()
        screen.flush()
        CommandLineTool.printError(SafeText.visible(summary.line))
        return summary.outcome.everythingAcknowledged ? 0 : 1
    }
}

/// `dropping 30%, duplicating 1%, reordering 1%, delaying 20±5 ms`.
private func describe(_ options: ChatOptions) -> String {
    var parts: [String] = []
    func percent(_ value: Double) -> String { "\((value * 1000).rounded() / 10)%" }
    if options.dropRate > 0 { parts.append("dropping \(percent(options.dropRate))") }
    if options.duplicateRate > 0 { parts.append("duplicating \(percent(options.duplicateRate))") }
    if options.reorderRate > 0 { parts.append("reordering \(percent(options.reorderRate))") }
    if options.delay > .zero || options.jitter > .zero {
        parts.append("delaying \(options.delay.milliseconds) ms" + (options.jitter > .zero ? " + up to \(options.jitter.milliseconds) ms" : ""))
    }
    return parts.joined(separator: ", ")
}

/// Where a chat's output goes: messages to stdout (or above the prompt), log lines to the log, status to the
/// terminal or stderr.
final class Screen: Sendable {
    private let peerName = Mutex("the other peer")
    private let lastChallenged = Mutex<SessionID?>(nil)
    /// Sentences said once however often their cause repeats (a refused key retries its handshake).
    private let saidOnce = Mutex<Set<String>>([])
    private let terminal: Terminal?
    private let stdout: LineWriter
    private let logWriter: LineWriter
    private let logFormat: LogFormat
    private let logToTerminal: Bool

    /// Whether the core says members' comings and goings itself (`notice` events naming the member, as a group
    /// does): the sentences that assume one other side are then not made.
    private let membersNoticed: Bool

    init(terminal: Terminal?, stdout: LineWriter, log: LineWriter, logFormat: LogFormat, logToTerminal: Bool,
         membersNoticed: Bool = false) {
        self.membersNoticed = membersNoticed
        self.terminal = terminal
        self.stdout = stdout
        logWriter = log
        self.logFormat = logFormat
        self.logToTerminal = logToTerminal
    }

    /// A delivered message: `NAME: text` (`#ROOM NAME: text`, `NAME (private): text`), one line, with every control and bidirectional character shown as a
    /// visible escape (`SafeText.visible`), so a message can neither break the line nor steer the terminal.
    func show(_ delivery: Delivery) {
        let line = SafeText.visible(delivery.line)
        if let terminal {
            terminal.printAbove(line)
        } else {
            stdout.write(line)
        }
    }

    /// A protocol event: a friendly sentence for status changes at a terminal, a log line otherwise.
    func log(_ record: LogRecord) {
        if case .peerUp(let name, _, _) = record.event { peerName.withLock { $0 = name } }
        var sentence = Self.sentence(for: record.event, peer: peerName.withLock { $0 })
        if membersNoticed {
            switch record.event {
            case .peerUp, .peerDown, .finish(.peer, _): sentence = nil
            default: break
            }
        }
        // A restart is challenged until it answers, every quarter of a second: say so once.
        if case .challenge(_, let claimed, _) = record.event {
            let repeated = lastChallenged.withLock { last in
                defer { last = claimed }
                return last == claimed
            }
            if repeated { sentence = nil }
        }
        switch record.event {
        case .keyRefused, .reject:
            if let said = sentence, !saidOnce.withLock({ $0.insert(said).inserted }) { sentence = nil }
        default: break
        }
        if logToTerminal, let terminal {
            if let sentence {
                terminal.printAbove(SafeText.visible(sentence))
            } else if record.event.category != .status {
                terminal.printAbove("  · " + LogFormatter.line(record, format: logFormat))
            }
            return
        }
        logWriter.write(LogFormatter.line(record, format: logFormat))
        if let terminal, let sentence {
            terminal.printAbove(SafeText.visible(sentence))
        } else if let sentence, Self.needsAPerson(record.event) {
            // Scripted, or logging to a file: what a person must know about trust still reaches stderr, once.
            CommandLineTool.printError(SafeText.visible(sentence))
        }
    }

    /// Events a person should read even when nobody watches the log: whom we trust, and whom we refused.
    static func needsAPerson(_ event: Event) -> Bool {
        switch event {
        case .pinned, .keyRefused, .notice: true
        case .reject(let reason, _): reason.contains("--psk")
        default: false
        }
    }

    /// A line for the person, above the prompt or on stderr, with any control character shown visibly.
    func status(_ text: String) {
        let line = SafeText.visible(text)
        if let terminal {
            terminal.printAbove(line)
        } else {
            CommandLineTool.printError(line)
        }
    }

    func flush() {
        stdout.flush()
        logWriter.flush()
    }

    static func sentence(for event: Event, peer: String) -> String? {
        switch event {
        case .peerUp(let name, _, .firstContact): "-- \(name) is here"
        case .peerUp(let name, _, .answeredAgain(let silentFor)): "-- \(name) is back (silent for \(silentFor))"
        case .peerUp(let name, _, .restarted): "-- \(name) restarted: sending again what it may have missed"
        // The first contact is challenged too, as a matter of course: only a claim to replace the run we talk to
        // is worth a sentence.
        case .challenge(let name, _, .some): "-- \(name) seems to have restarted: checking it is really \(name) "
            + "before going on"
        case .peerDown(let silentFor): "-- \(peer) is unreachable (nothing heard for \(silentFor))"
        case .pinned(let name, let fingerprint, _): "-- first contact with \(name), key \(fingerprint), pinned"
        case .keyRefused(let name, let fingerprint, "key-changed"):
            "-- \(name)'s key changed (now \(fingerprint)) — if \(name) reinstalled, run `peer forget \(name)`; "
            + "otherwise someone is impersonating \(name). Nothing from it is shown."
        case .keyRefused(let name, let fingerprint, "our-name"):
            "-- refused a peer (key \(fingerprint)) that is also called \(name), your own name: names are unique in "
            + "a group, so one of you must start again with another --name"
        case .keyRefused(let name, let fingerprint, "name-taken"):
            "-- refused a newcomer (key \(fingerprint)) calling itself \(name): \(name) is already in this group, so "
            + "it must start again with another --name"
        case .keyRefused(let name, let fingerprint, "not-expected-key"):
            "-- refused \(name): its key \(fingerprint) is not the one given with --expect-key"
        case .keyRefused(let name, let fingerprint, _):
            "-- refused \(name) (key \(fingerprint)): another identity already holds this conversation"
        case .reject(let reason, _) where reason.contains("--psk"):
            "-- a handshake failed: \(reason)"
        case .finish(.peer, _): "-- \(peer) has finished"
        case .notice(let text, _): "-- " + text
        default: nil
        }
    }
}

/// SIGINT and SIGTERM call `action` (once each time) instead of killing the process; SIGPIPE is ignored so a
/// closed stdout is an error to report, not a silent death.
final class SignalHandlers {
    private let sources: [DispatchSourceSignal]

    init(_ action: @escaping @Sendable () -> Void) {
        signal(SIGPIPE, SIG_IGN)
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }
}
