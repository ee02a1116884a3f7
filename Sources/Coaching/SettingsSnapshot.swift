/// Both settings rows as read at one moment.
public struct SettingsSnapshot: Sendable, Equatable {
    public var coaching: CoachingSettings
    public var service: ServiceSettings

    public init(coaching: CoachingSettings = CoachingSettings(), service: ServiceSettings = ServiceSettings()) {
        self.coaching = coaching
        self.service = service
    }
}
