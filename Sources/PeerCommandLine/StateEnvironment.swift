import Glibc

/// The environment variables that decide where state lives, read once from this process for PeerIdentity
/// (which takes them as a parameter, so its tests never see the real home).
enum StateEnvironment {
    /// `HOME` and `XDG_STATE_HOME`, those that are set.
    static func current() -> [String: String] {
        var variables: [String: String] = [:]
        for name in ["HOME", "XDG_STATE_HOME"] {
            if let value = getenv(name) { variables[name] = String(cString: value) }
        }
        return variables
    }
}
