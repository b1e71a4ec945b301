import Glibc
import Synchronization

/// The interactive screen: a `> ` prompt with a small line editor, and lines printed above it without
/// disturbing what is being typed.
///
/// The terminal is put in non-canonical mode without echo, so this type owns the line being typed and can
/// redraw it after printing a message. Signals stay enabled: Ctrl-C still raises SIGINT.
final class Terminal: Sendable {
    private struct State {
        var line: [UInt8] = []
        var original: termios
        var restored = false
        var inputEnded = false
    }

    private static let prompt = "> "
    private let state: Mutex<State>

    /// Whether stdin and stdout are both a terminal, i.e. whether `init` will take one over.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Takes over the terminal on stdin; nil when stdin or stdout is not a terminal.
    init?() {
        guard Self.isInteractive else { return nil }
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return nil }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else { return nil }
        state = Mutex(State(original: original))
        emit(Self.prompt)
    }

    /// Puts the terminal back as it was; safe to call more than once.
    func restore() {
        state.withLock { state in
            guard !state.restored else { return }
            state.restored = true
            var original = state.original
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            emit("\r\u{1B}[2K")
        }
    }

    /// Prints `text` on its own line above the prompt, then redraws the prompt and the line being typed.
    func printAbove(_ text: String) {
        state.withLock { state in
            guard !state.restored else {
                emit(text + "\n")
                return
            }
            let prompt = state.inputEnded ? "" : Self.prompt + String(decoding: state.line, as: UTF8.self)
            emit("\r\u{1B}[2K" + text + "\n" + prompt)
        }
    }

    /// Input has ended: prints `text` in place of the prompt, which is not drawn again.
    func endInput(_ text: String?) {
        state.withLock { state in
            state.inputEnded = true
            emit("\r\u{1B}[2K" + (text.map { $0 + "\n" } ?? ""))
        }
    }

    /// Reads one line as the user edits it. nil at end of input (Ctrl-D on an empty line, or stdin closed).
    func readLine() -> String? {
        var escape = EscapeState.none
        while true {
            var byte: UInt8 = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return nil }
            switch escape {
            case .afterEscape:
                escape = byte == UInt8(ascii: "[") ? .inSequence : .none
                continue
            case .inSequence:
                if byte >= 0x40, byte <= 0x7E { escape = .none }  // the final byte of a CSI sequence
                continue
            case .none:
                break
            }
            switch byte {
            case 0x1B:
                escape = .afterEscape
            case 0x0A, 0x0D:
                let line = state.withLock { state -> String in
                    let line = String(decoding: state.line, as: UTF8.self)
                    state.line.removeAll()
                    emit("\n" + Self.prompt)
                    return line
                }
                if !line.isEmpty { return line }
            case 0x04:
                let empty = state.withLock { $0.line.isEmpty }
                if empty { return nil }
            case 0x7F, 0x08:
                state.withLock { state in
                    var text = String(decoding: state.line, as: UTF8.self)
                    guard !text.isEmpty else { return }
                    text.removeLast()
                    state.line = Array(text.utf8)
                    emit("\r\u{1B}[2K" + Self.prompt + text)
                }
            case 0x15:  // Ctrl-U: clear the line
                state.withLock { state in
                    state.line.removeAll()
                    emit("\r\u{1B}[2K" + Self.prompt)
                }
            case 0x09, 0x20...0x7E, 0x80...0xFF:
                state.withLock { state in
                    state.line.append(byte)
                    var echo = byte
                    _ = Glibc.write(STDOUT_FILENO, &echo, 1)
                }
            default:
                continue  // other control characters do nothing
            }
        }
    }

    private enum EscapeState { case none, afterEscape, inSequence }
}

private func emit(_ text: String) {
    writeAll(STDOUT_FILENO, Array(text.utf8))
}
