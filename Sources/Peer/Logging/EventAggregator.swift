import PeerSession

/// Keeps a burst of one kind of event (rejects, duplicates, held segments, socket errors) from burying the log:
/// the first few of a kind in a window are logged as they are, the rest are counted, and when the window ends one
/// `repeated` event says how many there were and why. Every other event passes straight through.
///
/// Pure: it has no clock of its own. The caller passes `now` to `record` and `flush`, and wakes up by
/// `nextDeadline` so the summary of a burst that stopped is not held back until the next event.
///
/// A kind still repeating when its window ends gets a new window at once, with nothing logged one by one: a
/// sustained flood costs one line per window per kind. A kind quiet for a whole window starts afresh.
public struct EventAggregator: Sendable {
    /// How long a window lasts.
    public let window: TimeSpan
    /// How many events of a kind a fresh window logs one by one before it only counts.
    public let loggedPerWindow: Int
    /// Distinct reasons a window tells apart per kind; more are counted as `other`, so a sender inventing a new
    /// reason per datagram cannot grow the summary or the memory behind it.
    public static let maximumReasons = 8
    /// Longest reason class kept, in characters.
    static let maximumReasonLength = 80

    private var tallies: [Kind: Tally] = [:]

    /// An aggregator with `loggedPerWindow` events of each kind logged one by one in a fresh `window`.
    public init(window: TimeSpan = .seconds(1), loggedPerWindow: Int = 3) {
        self.window = window
        self.loggedPerWindow = max(0, loggedPerWindow)
    }

    /// Takes one event about to be logged at `now` and returns what to log, in order: summaries of windows that
    /// have ended, then the event itself unless its kind has used up its window's allowance.
    /// - Parameter reasonClass: what to count the event under in a summary; by default its reason with every
    ///   number written as `N` (so `segment 7 …` and `segment 9 …` count together).
    public mutating func record(_ event: Event, reasonClass: String? = nil, now: Instant) -> [Event] {
        guard let kind = Kind(event) else { return [event] }
        var toLog = flush(now: now)
        var tally = tallies[kind] ?? Tally(start: now, allowance: loggedPerWindow)
        tally.count += 1
        tally.add(reason: reasonClass.map(Self.shortened) ?? Self.reasonClass(of: event))
        if tally.logged < tally.allowance {
            tally.logged += 1
            toLog.append(event)
        }
        tallies[kind] = tally
        return toLog
    }

    /// The summaries of every window that has ended by `now` with events it did not log one by one.
    public mutating func flush(now: Instant) -> [Event] {
        var summaries: [Event] = []
        for kind in Kind.allCases {
            while let tally = tallies[kind], now >= tally.start + window {
                if tally.count > tally.logged {
                    summaries.append(tally.summary(of: kind, window: window))
                    // Still repeating: the next window only counts, so a flood is one line per window.
                    tallies[kind] = Tally(start: tally.start + window, allowance: 0)
                } else {
                    tallies[kind] = nil
                }
            }
        }
        return summaries
    }

    /// The summaries of every open window that holds events not logged one by one, however short: the run is
    /// ending. Afterwards every kind starts afresh.
    public mutating func finish(now: Instant) -> [Event] {
        var summaries: [Event] = []
        for kind in Kind.allCases {
            if let tally = tallies[kind], tally.count > tally.logged {
                summaries.append(tally.summary(of: kind, window: max(.zero, now - tally.start)))
            }
        }
        tallies.removeAll()
        return summaries
    }

    /// When the earliest window holding uncounted-for events ends: call `flush` then. Nil when nothing waits.
    public var nextDeadline: Instant? {
        tallies.values.filter { $0.count > $0.logged }.map { $0.start + window }.min()
    }

    /// What a summary counts `event` under: its reason with every run of digits written as `N`, at most
    /// `maximumReasonLength` characters. Duplicates and held segments have no reason.
    public static func reasonClass(of event: Event) -> String {
        switch event {
        case .reject(let reason, _), .socketError(let reason): shortened(numbersMasked(reason))
        case .challenge(let name, _, _): "claims to be \(name)"
        default: ""
        }
    }

    /// The text with every number — a run of decimal digits, or a 16-digit hex session identity — written as `N`.
    static func numbersMasked(_ text: String) -> String {
        var masked = ""
        var word = ""
        func endWord() {
            let isHexIdentity = word.count == 16 && word.allSatisfy(\.isHexDigit)
            if isHexIdentity || (!word.isEmpty && word.allSatisfy { $0.isASCII && $0.isNumber }) {
                masked.append("N")
            } else {
                var inNumber = false
                for character in word {
                    if character.isASCII, character.isNumber {
                        if !inNumber { masked.append("N") }
                        inNumber = true
                    } else {
                        masked.append(character)
                        inNumber = false
                    }
                }
            }
            word = ""
        }
        for character in text {
            if character.isASCII, character.isLetter || character.isNumber {
                word.append(character)
            } else {
                endWord()
                masked.append(character)
            }
        }
        endWord()
        return masked
    }

    static func shortened(_ text: String) -> String {
        text.count <= maximumReasonLength ? text : String(text.prefix(maximumReasonLength - 1)) + "…"
    }

    /// The kinds of event that come in floods.
    enum Kind: String, CaseIterable {
        case reject, duplicate, hold, error, challenge, unproven

        init?(_ event: Event) {
            switch event {
            case .reject: self = .reject
            // A flood of forged claims to be the other side is challenged up to a hundred times a second.
            case .challenge: self = .challenge
            case .unproven: self = .unproven
            case .duplicate: self = .duplicate
            case .hold: self = .hold
            case .socketError: self = .error
            default: return nil
            }
        }
    }

    /// One kind's window: when it began, how many came and how many were logged, counted by reason.
    struct Tally {
        var start: Instant
        var allowance: Int
        var count = 0
        var logged = 0
        /// In order of first appearance, at most `maximumReasons`.
        var reasons: [(reason: String, count: Int)] = []
        var otherReasons = 0

        init(start: Instant, allowance: Int) {
            self.start = start
            self.allowance = allowance
        }

        mutating func add(reason: String) {
            if let index = reasons.firstIndex(where: { $0.reason == reason }) {
                reasons[index].count += 1
            } else if reasons.count < EventAggregator.maximumReasons {
                reasons.append((reason, 1))
            } else {
                otherReasons += 1
            }
        }

        func summary(of kind: Kind, window: TimeSpan) -> Event {
            var parts = reasons.filter { !$0.reason.isEmpty }.map { "\($0.count) \($0.reason)" }
            if otherReasons > 0 { parts.append("\(otherReasons) other") }
            return .repeated(event: kind.rawValue, count: count, logged: logged, window: window,
                             reasons: parts.joined(separator: "; "))
        }
    }
}
