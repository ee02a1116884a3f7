import Coaching
import Foundation
import Logging
import Synchronization

/// Everything in `prompts/`: the variant templates (`<name>.system.mustache` +
/// `<name>.user.mustache`) and the experiment definitions (`experiments/<key>.json`).
///
/// Loaded and validated as a whole at start (a broken directory stops the start with the file and
/// line) and again whenever a file changes. A change that does not validate is logged and ignored:
/// the previous version keeps serving, so a typo in a template never takes coaching down.
public final class PromptCatalog: Sendable {
    /// One consistent view of the directory.
    public struct Contents: Sendable {
        public let templates: [String: PromptTemplate]
        public let experiments: [ExperimentDefinition]

        public func experiment(_ key: String) -> ExperimentDefinition? {
            experiments.first { $0.key == key }
        }
    }

    public let directory: String
    private struct State {
        var contents: Contents
        var fingerprint: String
        var checkedAt: ContinuousClock.Instant
    }
    private let state: Mutex<State>
    private let checkInterval: Duration
    private let logger: Logger

    public init(directory: String, checkInterval: Duration = .seconds(1),
                logger: Logger = Logger(label: "coaching.prompts")) throws {
        self.directory = directory
        self.checkInterval = checkInterval
        self.logger = logger
        let fingerprint = Self.fingerprint(of: directory)
        state = Mutex(State(contents: try Self.load(directory), fingerprint: fingerprint, checkedAt: ContinuousClock.now))
    }

    /// The current contents, reloaded first when a file changed since the last look (at most once
    /// per `checkInterval`). The directory is read outside the lock by the one caller whose turn it
    /// is to look; every other caller meanwhile gets the contents as they are, without waiting.
    public func current() -> Contents {
        let now = ContinuousClock.now
        let (contents, known, due) = state.withLock { state -> (Contents, String, Bool) in
            let due = now - state.checkedAt >= checkInterval
            if due { state.checkedAt = now }
            return (state.contents, state.fingerprint, due)
        }
        guard due else { return contents }
        let seen = Self.fingerprint(of: directory)
        guard seen != known else { return contents }
        do {
            let loaded = try Self.load(directory)
            state.withLock {
                $0.contents = loaded
                $0.fingerprint = seen
            }
            logger.info("prompts reloaded", metadata: [
                "templates": "\(loaded.templates.count)", "experiments": "\(loaded.experiments.count)"])
            return loaded
        } catch {
            // Remembered, so the broken version is reported once, not at every look.
            state.withLock { $0.fingerprint = seen }
            logger.error("prompts not reloaded; the previous version keeps serving", metadata: ["error": "\(error)"])
            return contents
        }
    }

    /// Reads and validates the whole directory; throws the first problem found, naming its file.
    public static func load(_ directory: String) throws -> Contents {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let names = Set(files.compactMap { file -> String? in
            file.hasSuffix(".system.mustache") ? String(file.dropLast(".system.mustache".count)) : nil
        })
        var templates: [String: PromptTemplate] = [:]
        for name in names.sorted() {
            templates[name] = try PromptTemplate.load(name: name, directory: directory)
        }
        guard templates["default"] != nil else {
            throw PromptTemplate.LoadError(description: "\(directory)/default.system.mustache: missing (the prompt used outside experiments)")
        }
        let experimentDirectory = (directory as NSString).appendingPathComponent("experiments")
        let definitionFiles = ((try? FileManager.default.contentsOfDirectory(atPath: experimentDirectory)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        var experiments: [ExperimentDefinition] = []
        for file in definitionFiles {
            let path = (experimentDirectory as NSString).appendingPathComponent(file)
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ExperimentDefinition.Invalid(description: "\(path): cannot be read (\(error.localizedDescription))")
            }
            let definition = try ExperimentDefinition.parse(text, file: path)
            guard definition.key + ".json" == file else {
                throw ExperimentDefinition.Invalid(description: "\(path): key \"\(definition.key)\" must match the file name")
            }
            for variant in definition.variants where templates[variant.name] == nil {
                throw ExperimentDefinition.Invalid(
                    description: "\(path): variant \"\(variant.name)\" has no template \(variant.name).system.mustache / .user.mustache")
            }
            experiments.append(definition)
        }
        return Contents(templates: templates, experiments: experiments)
    }

    /// Names, sizes and modification times of every file that matters; cheap enough to compute
    /// once a second.
    static func fingerprint(of directory: String) -> String {
        let manager = FileManager.default
        var parts: [String] = []
        for folder in [directory, (directory as NSString).appendingPathComponent("experiments")] {
            for file in ((try? manager.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
                let path = (folder as NSString).appendingPathComponent(file)
                guard let attributes = try? manager.attributesOfItem(atPath: path) else { continue }
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                parts.append("\(path)|\(attributes[.size] ?? 0)|\(modified)")
            }
        }
        return parts.joined(separator: "\n")
    }
}
