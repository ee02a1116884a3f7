/// What an analyser looks at: the recent dialogue, the customer message(s) being analysed (several
/// when a burst was merged), the hint types it may answer with, and the preferred language.
public struct AnalysisInput: Sendable, Equatable {
    public struct Turn: Sendable, Equatable {
        public enum Speaker: String, Sendable { case customer, agent }
        public let speaker: Speaker
        public let text: String

        public init(speaker: Speaker, text: String) {
            self.speaker = speaker
            self.text = text
        }
    }

    public var context: [Turn]
    public var messages: [String]
    public var enabledTypes: [HintType]
    /// `pt-BR` or `en`; analysers may still answer in the customer's language when it is clear.
    public var language: String
    public var agentName: String?

    public init(context: [Turn], messages: [String], enabledTypes: [HintType], language: String, agentName: String? = nil) {
        self.context = context
        self.messages = messages
        self.enabledTypes = enabledTypes
        self.language = language
        self.agentName = agentName
    }
}
