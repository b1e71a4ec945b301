import Peer
import PeerIdentity
import PeerSession
import PeerTransport
import PeerWire

/// A command line that makes no sense, with the sentence that says why.
public struct UsageError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. "--listen-port must be a number from 1 to 65535, not 70000".
    public var message: String
    /// Wraps the sentence.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the user asked for.
public enum Command: Equatable {
    /// Chat with another peer.
    case chat(ChatOptions)
    /// The two-peer showcase.
    case demo(DemoOptions)
    /// The protocol between two endpoints on a virtual clock.
    case simulate(SimulateOptions)
    /// Print the fingerprint of a name's identity, creating the identity on first use (`peer id`).
    case identity(IdentityOptions)
    /// Print a new pre-shared key (`peer keygen --psk`).
    case keygenPreSharedKey
    /// Remove a peer's pinned key from a name's known peers (`peer forget`).
    case forget(ForgetOptions)
    /// Read captured datagrams with a key log's keys (`peer decode`).
    case decode(DecodeOptions)
    /// Print the usage.
    case help
    /// Print the version.
    case version
}

/// Everything `peer --source-port …` was given, checked.
public struct ChatOptions: Equatable {
    /// `--source-port`: where the send socket is bound; 0 (the default) picks a free port.
    public var sourcePort: UInt16
    /// `--listen-port`: where this peer receives.
    public var listenPort: UInt16
    /// `--dest-port`: the other peer's listen port; 0 when not given.
    public var destinationPort: UInt16
    /// `--dest-host`: the other peer's host, resolved when the chat starts.
    public var destinationHost = "127.0.0.1"
    /// `--peer HOST:PORT`, in order: other members' listen addresses, resolved when the chat starts.
    public var peers: [PeerSpec] = []
    /// `--name`: how the other side shows us.
    public var name = "peer"
    /// `--drop-rate`: probability of dropping each outgoing datagram.
    public var dropRate = 0.0
    /// `--duplicate-rate`: probability of sending a datagram twice.
    public var duplicateRate = 0.0
    /// `--reorder-rate`: probability of holding a datagram back behind the next one.
    public var reorderRate = 0.0
    /// `--delay-ms D[:JITTER]`: delay added to each datagram, and up to JITTER more at random.
    public var delay = TimeSpan.zero
    /// The JITTER of `--delay-ms`.
    public var jitter = TimeSpan.zero
    /// `--seed`; nil picks one at random (and logs it).
    public var seed: UInt64?
    /// `--log`: a file for the log instead of the terminal.
    public var logFile: String?
    /// `--log-format`.
    public var logFormat = LogFormat.text
    /// `--verbose`: log every datagram, not only repairs and status.
    public var verbose = false
    /// `--linger`.
    public var linger = TimeSpan.seconds(5)
    /// `--wire`: this project's protocol, or the original clients'.
    public var wire = WireFormat.peer
    /// `--identity FILE`: the identity to use instead of the name's own in the state directory.
    public var identityFile: String?
    /// `--psk FILE`: a pre-shared key both sides must hold.
    public var preSharedKeyFile: String?
    /// `--expect-key FINGERPRINT`: the only key accepted for the other side, even on first contact.
    public var expectedKey: Fingerprint?
    /// `--keylog FILE`: append each handshake's keys to FILE, for `peer decode`.
    public var keyLogFile: String?

    /// Every member to dial: `--dest-port` (at `--dest-host`) first, then each `--peer`.
    public var allPeers: [PeerSpec] {
        (destinationPort == 0 ? [] : [PeerSpec(host: destinationHost, port: destinationPort)]) + peers
    }

    /// The impairments the options ask for.
    public var impairments: Impairments {
        Impairments(drop: dropRate, duplicate: duplicateRate, reorder: reorderRate, delay: delay, jitter: jitter)
    }
}

/// A member's listen address as typed: `HOST:PORT`, `[IPv6]:PORT`.
public struct PeerSpec: Equatable, Sendable, CustomStringConvertible {
    /// A host name or numeric address (without brackets).
    public var host: String
    /// The port.
    public var port: UInt16

    /// Collects it.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Reads `HOST:PORT` or `[HOST]:PORT`; nil when it is neither.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { return nil }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil
        }
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]), port != 0 else { return nil }
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Options of `peer demo`.
public struct DemoOptions: Equatable {
    /// Loss each way.
    public var dropRate = 0.25
    /// nil picks one at random (and prints it).
    public var seed: UInt64?
}

/// Options of `peer simulate`.
public struct SimulateOptions: Equatable {
    /// What A sends.
    public enum Workload: String, Equatable, Sendable {
        /// One message every 10 ms.
        case chat
        /// Everything queued at once.
        case bulk
    }
    /// `--workload`.
    public var workload = Workload.chat
    /// `--messages`: how many 64-byte messages A sends.
    public var messages = 10_000
    /// `--delay-ms`: one-way delay in each direction.
    public var delayMilliseconds = 1.0
    /// `--loss`: probability each datagram is lost, each direction.
    public var loss = 0.1
    /// `--seeds`: runs with seeds 1...K, pooled.
    public var seeds = 10
    /// `--reorder`: probability a datagram is held back behind later ones.
    public var reorder = 0.0
    /// `--duplicate`: probability a datagram arrives twice.
    public var duplicate = 0.0
    /// `--json`: one JSON object instead of a table.
    public var json = false
    /// `--peers N`: a group of N members (2...64) instead of the two-party run; nil (not given) is the two-party
    /// run, its output unchanged.
    public var peers: Int?
}

/// Options of `peer id`.
public struct IdentityOptions: Equatable {
    /// `--name`: whose identity (it picks the state directory).
    public var name = "peer"
    /// `--identity FILE`: this file instead of the one in the state directory.
    public var identityFile: String?
}

/// Options of `peer decode`.
public struct DecodeOptions: Equatable {
    /// `--keylog FILE`, as often as given: the key logs whose keys open the datagrams.
    public var keyLogFiles: [String] = []
    /// The datagrams in hex, as given on the command line; empty reads them from stdin, one a line.
    public var datagrams: [String] = []

    /// Collects the options.
    public init(keyLogFiles: [String] = [], datagrams: [String] = []) {
        self.keyLogFiles = keyLogFiles
        self.datagrams = datagrams
    }
}

/// Options of `peer forget NAME`.
public struct ForgetOptions: Equatable {
    /// NAME: the peer whose pinned key goes.
    public var peer: String
    /// `--name`: whose known peers (it picks the state directory).
    public var name = "peer"
}

/// Parses the command line (without the program name). Never crashes: anything wrong is a `UsageError`.
public func parseCommandLine(_ arguments: [String]) throws(UsageError) -> Command {
    var reader = ArgumentReader(arguments)
    if arguments.first == "simulate" {
        reader.skip()
        var options = SimulateOptions()
        while let flag = try reader.nextFlag() {
            switch flag {
            case "--workload":
                let value = try reader.value(for: flag)
                guard let workload = SimulateOptions.Workload(rawValue: value) else {
                    throw UsageError("--workload must be chat or bulk, not \(value)")
                }
                options.workload = workload
            case "--messages": options.messages = try reader.count(for: flag, in: 1...10_000_000)
            case "--seeds": options.seeds = try reader.count(for: flag, in: 1...10_000)
            case "--delay-ms":
                let value = try reader.value(for: flag)
                guard let delay = Double(value), delay.isFinite, delay >= 0, delay <= 60_000 else {
                    throw UsageError("--delay-ms must be a number of milliseconds from 0 to 60000, not \(value)")
                }
                options.delayMilliseconds = delay
            // The chat's names are accepted too, so a command line can move between the two.
            case "--loss", "--drop-rate": options.loss = try reader.probability(for: flag)
            case "--reorder", "--reorder-rate": options.reorder = try reader.probability(for: flag)
            case "--duplicate", "--duplicate-rate": options.duplicate = try reader.probability(for: flag)
            case "--json": options.json = true
            case "--peers": options.peers = try reader.count(for: flag, in: 2...64)
            case "--help", "-h": return .help
            default: throw UsageError("unknown option \(flag) for peer simulate")
            }
        }
        return .simulate(options)
    }
    if arguments.first == "demo" {
        reader.skip()
        var options = DemoOptions()
        while let flag = try reader.nextFlag() {
            switch flag {
            case "--drop-rate": options.dropRate = try reader.probability(for: flag)
            case "--seed": options.seed = try reader.unsigned(for: flag)
            case "--help", "-h": return .help
            default: throw UsageError("unknown option \(flag) for peer demo")
            }
        }
        return .demo(options)
    }
    switch arguments.first {
    case "id": return try parseIdentityCommand(&reader)
    case "keygen": return try parseKeygenCommand(&reader)
    case "forget": return try parseForgetCommand(&reader)
    case "decode": return try parseDecodeCommand(&reader)
    default: break
    }
    var sourcePort: UInt16?
    var listenPort: UInt16?
    var destinationPort: UInt16?
    var options = ChatOptions(sourcePort: 0, listenPort: 0, destinationPort: 0)
    while let flag = try reader.nextFlag() {
        switch flag {
        case "--help", "-h": return .help
        case "--version": return .version
        case "--source-port": sourcePort = try reader.port(for: flag)
        case "--listen-port": listenPort = try reader.port(for: flag)
        case "--dest-port": destinationPort = try reader.port(for: flag)
        case "--peer":
            let value = try reader.value(for: flag)
            guard let peer = PeerSpec(parsing: value) else {
                let port = value.split(separator: ":").last.map(String.init) ?? ""
                if let number = Int(port), !(1...65535).contains(number) {
                    throw UsageError("--peer \(value): the port must be a number from 1 to 65535, not \(port)")
                }
                throw UsageError("--peer needs HOST:PORT (an IPv6 host in brackets: [::1]:4000), not \(value)")
            }
            options.peers.append(peer)
        case "--dest-host":
            options.destinationHost = try reader.value(for: flag)
            if options.destinationHost.isEmpty { throw UsageError("--dest-host needs a host name or address") }
        case "--name": options.name = try reader.name(for: flag)
        case "--drop-rate": options.dropRate = try reader.probability(for: flag)
        case "--duplicate-rate": options.duplicateRate = try reader.probability(for: flag)
        case "--reorder-rate": options.reorderRate = try reader.probability(for: flag)
        case "--delay-ms":
            let value = try reader.value(for: flag)
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            let numbers = parts.map { Double($0) }
            guard parts.count <= 2, numbers.allSatisfy({ $0.map { $0.isFinite && $0 >= 0 && $0 <= 60_000 } ?? false })
            else {
                throw UsageError("--delay-ms must be D or D:JITTER in milliseconds (0 to 60000), not \(value)")
            }
            options.delay = TimeSpan(microseconds: Int64((numbers[0] ?? 0) * 1000))
            options.jitter = TimeSpan(microseconds: Int64(((numbers.count > 1 ? numbers[1] : 0) ?? 0) * 1000))
        case "--seed": options.seed = try reader.unsigned(for: flag)
        case "--log":
            options.logFile = try reader.value(for: flag)
            if options.logFile?.isEmpty == true { throw UsageError("--log needs a file name") }
        case "--log-format":
            let value = try reader.value(for: flag)
            guard let format = LogFormat(rawValue: value) else {
                throw UsageError("--log-format must be text or json, not \(value)")
            }
            options.logFormat = format
        case "--verbose", "-v": options.verbose = true
        case "--wire":
            let value = try reader.value(for: flag)
            guard let wire = WireFormat(rawValue: value) else {
                throw UsageError("--wire must be peer or seed, not \(value)")
            }
            options.wire = wire
        case "--identity":
            let file = try reader.value(for: flag)
            if file.isEmpty { throw UsageError("--identity needs a file name") }
            options.identityFile = file
        case "--psk":
            let file = try reader.value(for: flag)
            if file.isEmpty { throw UsageError("--psk needs a file name (make one with peer keygen --psk > FILE)") }
            options.preSharedKeyFile = file
        case "--expect-key":
            let value = try reader.value(for: flag)
            guard let fingerprint = Fingerprint(parsing: value) else {
                throw UsageError("--expect-key needs a fingerprint as peer id prints it (8 groups of 4 hex digits), "
                                 + "not \(value)")
            }
            options.expectedKey = fingerprint
        case "--keylog":
            let file = try reader.value(for: flag)
            if file.isEmpty { throw UsageError("--keylog needs a file name") }
            options.keyLogFile = file
        case "--linger":
            let value = try reader.value(for: flag)
            guard let seconds = Double(value), seconds.isFinite, seconds > 0, seconds <= 86_400 else {
                throw UsageError("--linger must be a number of seconds above 0 and at most 86400, not \(value)")
            }
            options.linger = .seconds(seconds)
        default:
            throw UsageError("unknown option \(flag)")
        }
    }
    guard let listenPort else { throw UsageError("missing --listen-port") }
    if options.wire == .seed, destinationPort == nil {
        throw UsageError("missing --dest-port (--wire seed talks to one original client)")
    }
    if options.wire == .seed, !options.peers.isEmpty {
        throw UsageError("--peer is for groups, which --wire seed cannot carry: use --dest-port")
    }
    guard sourcePort != listenPort else {
        throw UsageError("--source-port and --listen-port must differ (both are \(listenPort))")
    }
    if options.keyLogFile != nil, options.wire == .seed {
        throw UsageError("--keylog has no keys to write with --wire seed, which sends in the clear")
    }
    options.sourcePort = sourcePort ?? 0
    options.listenPort = listenPort
    options.destinationPort = destinationPort ?? 0
    return .chat(options)
}

private func parseIdentityCommand(_ reader: inout ArgumentReader) throws(UsageError) -> Command {
    reader.skip()
    var options = IdentityOptions()
    while let flag = try reader.nextFlag() {
        switch flag {
        case "--name": options.name = try reader.name(for: flag)
        case "--identity":
            let file = try reader.value(for: flag)
            if file.isEmpty { throw UsageError("--identity needs a file name") }
            options.identityFile = file
        case "--help", "-h": return .help
        default: throw UsageError("unknown option \(flag) for peer id")
        }
    }
    return .identity(options)
}

private func parseKeygenCommand(_ reader: inout ArgumentReader) throws(UsageError) -> Command {
    reader.skip()
    var preSharedKey = false
    while let flag = try reader.nextFlag() {
        switch flag {
        case "--psk": preSharedKey = true
        case "--help", "-h": return .help
        default: throw UsageError("unknown option \(flag) for peer keygen")
        }
    }
    // Identities are made by `peer id` (or on first use), so a pre-shared key is the only key to ask for.
    guard preSharedKey else { throw UsageError("peer keygen needs --psk (the only kind of key it makes)") }
    return .keygenPreSharedKey
}

private func parseForgetCommand(_ reader: inout ArgumentReader) throws(UsageError) -> Command {
    reader.skip()
    var peer: String?
    var name = "peer"
    var operands: [String] = []
    while let flag = try reader.nextFlag(collectingOperandsInto: &operands) {
        switch flag {
        case "--name": name = try reader.name(for: flag)
        case "--help", "-h": return .help
        default: throw UsageError("unknown option \(flag) for peer forget")
        }
    }
    for operand in operands {
        guard peer == nil else { throw UsageError("peer forget takes one NAME, not also \(operand)") }
        guard Wire.isValidName(operand) else {
            throw UsageError("peer forget needs a peer's name (1 to \(Wire.maxNameBytes) bytes without spaces, '=', "
                             + "control or invisible characters), not \"\(operand)\"")
        }
        peer = operand
    }
    guard let peer else { throw UsageError("peer forget needs the NAME of the peer to forget") }
    return .forget(ForgetOptions(peer: peer, name: name))
}

private func parseDecodeCommand(_ reader: inout ArgumentReader) throws(UsageError) -> Command {
    reader.skip()
    var options = DecodeOptions()
    while let flag = try reader.nextFlag(collectingOperandsInto: &options.datagrams) {
        switch flag {
        case "--keylog":
            let file = try reader.value(for: flag)
            if file.isEmpty { throw UsageError("--keylog needs a file name") }
            options.keyLogFiles.append(file)
        case "--help", "-h": return .help
        default: throw UsageError("unknown option \(flag) for peer decode")
        }
    }
    return .decode(options)
}

/// Walks the arguments, accepting `--flag value` and `--flag=value`.
private struct ArgumentReader {
    private let arguments: [String]
    private var position = 0
    private var inlineValue: String?

    init(_ arguments: [String]) { self.arguments = arguments }

    mutating func skip() { position += 1 }

    mutating func nextFlag() throws(UsageError) -> String? {
        guard position < arguments.count else { return nil }
        let argument = arguments[position]
        position += 1
        guard argument.hasPrefix("-") else { throw UsageError("unexpected argument \(argument)") }
        if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
            inlineValue = String(argument[argument.index(after: equals)...])
            return String(argument[..<equals])
        }
        inlineValue = nil
        return argument
    }

    /// Like `nextFlag`, but an argument that is not a flag (or anything after `--`) is added to `operands`
    /// instead of refused.
    mutating func nextFlag(collectingOperandsInto operands: inout [String]) throws(UsageError) -> String? {
        while position < arguments.count {
            let argument = arguments[position]
            if argument == "--" {
                operands += arguments[(position + 1)...]
                position = arguments.count
                return nil
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                operands.append(argument)
                position += 1
                continue
            }
            return try nextFlag()
        }
        return nil
    }

    /// A name as `--name` takes it: what the wire can carry as `from=`.
    mutating func name(for flag: String) throws(UsageError) -> String {
        let name = try value(for: flag)
        guard Wire.isValidName(name) else {
            throw UsageError("\(flag) must be 1 to \(Wire.maxNameBytes) bytes without spaces, '=', control "
                             + "or invisible characters, not \"\(name)\"")
        }
        return name
    }

    mutating func value(for flag: String) throws(UsageError) -> String {
        if let inlineValue {
            self.inlineValue = nil
            return inlineValue
        }
        guard position < arguments.count else { throw UsageError("\(flag) needs a value") }
        defer { position += 1 }
        return arguments[position]
    }

    mutating func port(for flag: String) throws(UsageError) -> UInt16 {
        let text = try value(for: flag)
        guard let number = Int(text), (1...65_535).contains(number) else {
            throw UsageError("\(flag) must be a number from 1 to 65535, not \(text)")
        }
        return UInt16(number)
    }

    mutating func probability(for flag: String) throws(UsageError) -> Double {
        let text = try value(for: flag)
        guard let number = Double(text), number.isFinite, number >= 0, number < 1 else {
            throw UsageError("\(flag) must be a probability from 0 up to (not including) 1, not \(text)")
        }
        return number
    }

    mutating func count(for flag: String, in range: ClosedRange<Int>) throws(UsageError) -> Int {
        let text = try value(for: flag)
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("\(flag) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(text)")
        }
        return number
    }

    mutating func unsigned(for flag: String) throws(UsageError) -> UInt64 {
        let text = try value(for: flag)
        guard let number = UInt64(text) else { throw UsageError("\(flag) must be a whole number >= 0, not \(text)") }
        return number
    }
}
