import PeerGroup
import Testing

/// Every command of the group contract, its aliases, its argument checks, and the `//` escape.
struct ChatInputTests {
    static let cases: [(String, ChatInput)] = [
        ("hello", .message("hello")),
        ("", .message("")),
        ("//join me", .message("/join me")),
        ("//", .message("/")),
        ("/join ops", .join(room: "ops")),
        ("/create ops", .join(room: "ops")),
        ("/join #ops", .join(room: "ops")),
        ("/say #ops hi", .say(room: "ops", text: "hi")),
        ("/join", .invalid("usage: /join ROOM")),
        ("/join two words", .invalid("two words cannot be a room: a room is 1 to 32 bytes with no spaces, '=', control or invisible characters")),
        ("/leave ops", .leave(room: "ops")),
        ("/leave general", .invalid("everyone stays in #general: it cannot be left")),
        ("/rooms", .rooms),
        ("/groups", .rooms),
        ("/rooms now", .invalid("/rooms takes no arguments")),
        ("/who", .who(room: nil)),
        ("/users", .who(room: nil)),
        ("/who ops", .who(room: "ops")),
        ("/msg bob hi there", .privateMessage(to: "bob", text: "hi there")),
        ("/private bob  two spaces", .privateMessage(to: "bob", text: " two spaces")),
        ("/msg bob", .invalid("usage: /msg NAME text")),
        ("/say ops deploy at 5", .say(room: "ops", text: "deploy at 5")),
        ("/public ops hi", .say(room: "ops", text: "hi")),
        ("/say ops", .invalid("usage: /say ROOM text")),
        ("/nick zoë", .nick("zoë")),
        ("/nick two words", .invalid("a name is 1 to 32 bytes with no spaces, '=', control or invisible characters")),
        ("/nick", .invalid("usage: /nick NEW")),
        ("/quit", .quit),
        ("/exit", .quit),
        ("/help", .help),
        ("/dance", .invalid("unknown command /dance (/help lists them; //text sends a line starting with /)")),
    ]

    @Test("each line means what the contract says", arguments: Array(cases.indices))
    func parse(index: Int) {
        let (line, expected) = Self.cases[index]
        #expect(ChatInput.parse(line) == expected, "\(line)")
    }

    @Test("a room name with a control character or over 32 bytes is refused, saying what is valid")
    func invalidRooms() {
        for room in ["a\u{1B}b", String(repeating: "r", count: 33), "x=y"] {
            guard case .invalid(let reason) = ChatInput.parse("/join \(room)") else {
                Issue.record("\(room) accepted")
                continue
            }
            #expect(reason.contains("1 to 32 bytes"))
        }
    }
}
