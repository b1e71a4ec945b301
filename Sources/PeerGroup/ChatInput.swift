import PeerWire

/// What one line of input means: a message, or one of the group commands (the original chatroom's words are
/// accepted as aliases). A line starting with `/` is a command; `//text` is the message `/text`.
///
/// Parsing only: it names the command and checks its arguments; `GroupCore` carries it out.
public enum ChatInput: Equatable, Sendable {
    /// A line to send as it is (to the current room).
    case message(String)
    /// `/join ROOM`, `/create ROOM`.
    case join(room: String)
    /// `/leave ROOM`.
    case leave(room: String)
    /// `/rooms`, `/groups`.
    case rooms
    /// `/who [ROOM]`, `/users`.
    case who(room: String?)
    /// `/msg NAME text`, `/private NAME text`.
    case privateMessage(to: String, text: String)
    /// `/say ROOM text`, `/public ROOM text`.
    case say(room: String, text: String)
    /// `/nick NEW`.
    case nick(String)
    /// `/quit`, `/exit`.
    case quit
    /// `/help`.
    case help
    /// A command that cannot be carried out as written, with the sentence that says why.
    case invalid(String)

    /// The room every member is in, which cannot be left.
    public static let generalRoom = "general"

    /// Whether `room` can be a room's name: 1 to 32 bytes of UTF-8 with no spaces, '=', control or invisible
    /// characters (the same rules as a name, `Wire.isValidName`).
    public static func isValidRoom(_ room: String) -> Bool { Wire.isValidName(room) }

    /// What `line` means.
    public static func parse(_ line: String) -> ChatInput {
        guard line.hasPrefix("/") else { return .message(line) }
        if line.hasPrefix("//") { return .message(String(line.dropFirst())) }
        let body = line.dropFirst()
        let word = body.prefix { $0 != " " }
        var rest = body.dropFirst(word.count).drop { $0 == " " }
        // `#ops` is how IRC spells a room: the `#` is the spelling, not the name.
        if ["join", "create", "leave", "who", "users", "say", "public"].contains(word), rest.first == "#" {
            rest = rest.dropFirst()
        }
        switch word {
        case "join", "create":
            return room(String(rest), command: String(word)) { .join(room: $0) }
        case "leave":
            guard rest != Substring(generalRoom) else { return .invalid("everyone stays in #general: it cannot be left") }
            return room(String(rest), command: String(word)) { .leave(room: $0) }
        case "rooms", "groups":
            return rest.isEmpty ? .rooms : .invalid("/\(word) takes no arguments")
        case "who", "users":
            if rest.isEmpty { return .who(room: nil) }
            return room(String(rest), command: String(word)) { .who(room: $0) }
        case "msg", "private":
            let name = rest.prefix { $0 != " " }
            let text = rest.dropFirst(name.count).dropFirst()
            guard !name.isEmpty, !text.isEmpty else { return .invalid("usage: /\(word) NAME text") }
            guard Wire.isValidName(String(name)) else { return .invalid("no one can be called \(name)") }
            return .privateMessage(to: String(name), text: String(text))
        case "say", "public":
            let room = rest.prefix { $0 != " " }
            let text = rest.dropFirst(room.count).dropFirst()
            guard !room.isEmpty, !text.isEmpty else { return .invalid("usage: /\(word) ROOM text") }
            guard isValidRoom(String(room)) else { return invalidRoom(String(room)) }
            return .say(room: String(room), text: String(text))
        case "nick":
            guard !rest.isEmpty else { return .invalid("usage: /nick NEW") }
            guard Wire.isValidName(String(rest)) else {
                return .invalid("a name is 1 to 32 bytes with no spaces, '=', control or invisible characters")
            }
            return .nick(String(rest))
        case "quit", "exit":
            return .quit
        case "help":
            return .help
        default:
            return .invalid("unknown command /\(word) (/help lists them; //text sends a line starting with /)")
        }
    }

    private static func room(_ room: String, command: String, _ make: (String) -> ChatInput) -> ChatInput {
        guard !room.isEmpty else { return .invalid("usage: /\(command) ROOM") }
        guard isValidRoom(room) else { return invalidRoom(room) }
        return make(room)
    }

    private static func invalidRoom(_ room: String) -> ChatInput {
        .invalid("\(room) cannot be a room: a room is 1 to 32 bytes with no spaces, '=', control or invisible "
                 + "characters")
    }
}
