import PeerSession

/// What a message inside a member's session is: a line for the room everyone is in, a line for another room, a
/// private line, or a control message between members (joins, leaves, nick changes, who is in the group).
///
/// A line for `general` travels as its own text, so a conversation of two costs not one byte more than before
/// groups. Everything else starts with U+0001 and a letter:
///
///     <text>                  a line in general (text not starting with U+0001)
///     U+0001 g <text>         a line in general whose text starts with U+0001
///     U+0001 r <room> ␠ <text> a line in <room> (a room's name has no spaces)
///     U+0001 p <text>         a private line to the receiver
///     U+0001 c <control>      a control message (`GroupControl`)
///
/// The sender always wraps and the receiver always unwraps, so no text a user types can pass for a control
/// message: a typed U+0001 at the start is wrapped as `g`.
public enum GroupEnvelope: Equatable, Sendable {
    /// A line in a room; `general` for the room everyone is in.
    case line(room: String, text: String)
    /// A line to the receiver alone.
    case privateLine(String)
    /// A message between members, never shown as a line.
    case control(GroupControl)

    static let mark: Character = "\u{1}"

    /// The text a session carries for it.
    public var text: String {
        switch self {
        case .line(let room, let text) where room == ChatInput.generalRoom:
            text.first == Self.mark ? "\u{1}g" + text : text
        case .line(let room, let text): "\u{1}r\(room) \(text)"
        case .privateLine(let text): "\u{1}p" + text
        case .control(let control): "\u{1}c" + control.text
        }
    }

    /// What a session delivered means; nil, with nothing changed, when it is a wrapped form this build cannot
    /// read (a room name that is not valid, a control message it does not know).
    public init?(parsing text: String) {
        guard text.first == Self.mark else {
            self = .line(room: ChatInput.generalRoom, text: text)
            return
        }
        let rest = text.dropFirst()
        guard let tag = rest.first else { return nil }
        let body = rest.dropFirst()
        switch tag {
        case "g": self = .line(room: ChatInput.generalRoom, text: String(body))
        case "p": self = .privateLine(String(body))
        case "r":
            let room = body.prefix { $0 != " " }
            guard ChatInput.isValidRoom(String(room)), body.dropFirst(room.count).first == " " else { return nil }
            self = .line(room: String(room), text: String(body.dropFirst(room.count + 1)))
        case "c":
            guard let control = GroupControl(parsing: String(body)) else { return nil }
            self = .control(control)
        default: return nil
        }
    }
}

/// A message between members, as words separated by single spaces (names and rooms have none):
///
///     hello NAME [ROOM…]              on each new run of a session: my name now, and the rooms I am in
///     member KEY HOST PORT NAME       someone in the group: its key (64 hex digits) and listen address
///     join ROOM / leave ROOM          I joined or left ROOM
///     nick NAME                       I am called NAME from now on
public enum GroupControl: Equatable, Sendable {
    /// The sender's current name and rooms besides `general`.
    case hello(name: String, rooms: [String])
    /// A member of the group the receiver should connect to.
    case member(key: [UInt8], address: PeerAddress, name: String)
    /// The sender joined `room`.
    case join(String)
    /// The sender left `room`.
    case leave(String)
    /// The sender's new name.
    case nick(String)

    /// A member is in at most this many rooms besides `general`: what a `hello` can carry, and what a receiver
    /// keeps for each member, however many `join`s it sends.
    public static let maxRoomsPerMember = 64

    /// The words.
    public var text: String {
        switch self {
        case .hello(let name, let rooms): (["hello", name] + rooms).joined(separator: " ")
        case .member(let key, let address, let name):
            "member \(Self.hex(key)) \(address.host) \(address.port) \(name)"
        case .join(let room): "join \(room)"
        case .leave(let room): "leave \(room)"
        case .nick(let name): "nick \(name)"
        }
    }

    /// Reads the words; nil when they are not one of the forms above, each part valid.
    public init?(parsing text: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard let verb = words.first else { return nil }
        func valid(_ name: String) -> Bool { ChatInput.isValidRoom(name) }
        switch (verb, words.count) {
        case ("hello", 2...):
            let rooms = Array(words.dropFirst(2))
            guard valid(words[1]), rooms.count <= Self.maxRoomsPerMember, rooms.allSatisfy(valid) else { return nil }
            self = .hello(name: words[1], rooms: rooms)
        case ("member", 5):
            guard let key = Self.bytes(hex: words[1]), key.count == 32, let port = UInt16(words[3]), port != 0,
                  !words[2].isEmpty, words[2].utf8.count <= 64,
                  words[2].allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" || $0 == "%" }), valid(words[4])
            else { return nil }
            self = .member(key: key, address: PeerAddress(host: words[2], port: port), name: words[4])
        case ("join", 2) where valid(words[1]): self = .join(words[1])
        case ("leave", 2) where valid(words[1]): self = .leave(words[1])
        case ("nick", 2) where valid(words[1]): self = .nick(words[1])
        default: return nil
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for position in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[position]), let low = nibble(digits[position + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
