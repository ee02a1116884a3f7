/// The one recorded result of a queued message (SPEC §4.2), stored in `coaching_queue.outcome`.
public enum MessageOutcome: Sendable, Equatable {
    public enum FilterReason: String, Sendable, CaseIterable {
        case disabled, notClient = "not_client", tooShort = "too_short", unassigned
        case agentTyping = "agent_typing", answered, queueFull = "queue_full", stale, prefilter
    }

    case hint, cached, noHint, merged, filtered(FilterReason), budget, failed, duplicate

    public var rawValue: String {
        switch self {
        case .hint: return "hint"
        case .cached: return "cached"
        case .noHint: return "no_hint"
        case .merged: return "merged"
        case .filtered(let reason): return "filtered:\(reason.rawValue)"
        case .budget: return "budget"
        case .failed: return "failed"
        case .duplicate: return "duplicate"
        }
    }

    /// `failed` maps to the original `failed` status; every other outcome completes the row.
    var queueStatus: String { self == .failed ? "failed" : "completed" }
}
