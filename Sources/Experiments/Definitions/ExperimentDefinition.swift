import Coaching
import JSON

/// One experiment as an admin writes it in `prompts/experiments/<key>.json`: which prompt variants
/// compete, with which weights, against which control. Its running state (paused, concluded,
/// winner) lives in the database so that every process agrees on it; the file's `status` only
/// seeds that state the first time the experiment is seen.
public struct ExperimentDefinition: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case running, paused, concluded
    }

    /// How agents who have no assignment yet are split: a salted hash by weight (the default), or
    /// Thompson sampling on the helpful-rate posteriors so that new agents lean to the better arm.
    public enum Allocation: String, Sendable {
        case hash, thompson
    }

    public struct Variant: Sendable, Equatable {
        public let name: String
        public let weight: Double
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public let key: String
    public let title: String
    public let description: String
    public let control: String
    public let variants: [Variant]
    public let initialStatus: Status
    public let allocation: Allocation
    /// Part of the assignment hash. Changing it reshuffles agents not yet assigned, never the others.
    public let salt: String

    public func variant(named name: String) -> Variant? {
        variants.first { $0.name == name }
    }

    /// Parses and validates one definition file; `file` names it in every error.
    public static func parse(_ text: String, file: String) throws -> ExperimentDefinition {
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw Invalid(description: "\(file): not valid JSON (\(error.message) at byte \(error.offset))")
        }
        func fail(_ problem: String) -> Invalid { Invalid(description: "\(file): \(problem)") }
        guard document.objectValue != nil else { throw fail("must be a JSON object") }
        guard let key = document["key"]?.stringValue, isName(key) else {
            throw fail("\"key\" must be 1–64 characters of a-z, 0-9, '-' or '_'")
        }
        guard let list = document["variants"]?.arrayValue, list.count >= 2 else {
            throw fail("\"variants\" must list at least two variants")
        }
        var variants: [Variant] = []
        for (index, item) in list.enumerated() {
            guard let name = item["name"]?.stringValue, isName(name) else {
                throw fail("variants[\(index)].name must be 1–64 characters of a-z, 0-9, '-' or '_'")
            }
            guard variants.allSatisfy({ $0.name != name }) else { throw fail("variant \"\(name)\" is listed twice") }
            let weight = item["weight"].map { $0.isNull ? nil : $0.doubleValue } ?? 1
            guard let weight, weight > 0, weight.isFinite else {
                throw fail("variants[\(index)].weight must be a positive number")
            }
            variants.append(Variant(name: name, weight: weight))
        }
        let control = document["control"]?.stringValue ?? variants[0].name
        guard variants.contains(where: { $0.name == control }) else {
            throw fail("control \"\(control)\" is not one of the variants")
        }
        let statusText = document["status"]?.stringValue ?? "running"
        guard let status = Status(rawValue: statusText) else {
            throw fail("\"status\" must be running, paused or concluded")
        }
        let allocationText = document["allocation"]?.stringValue ?? "hash"
        guard let allocation = Allocation(rawValue: allocationText) else {
            throw fail("\"allocation\" must be hash or thompson")
        }
        return ExperimentDefinition(
            key: key, title: document["title"]?.stringValue ?? key,
            description: document["description"]?.stringValue ?? "", control: control, variants: variants,
            initialStatus: status, allocation: allocation, salt: document["salt"]?.stringValue ?? key)
    }

    /// Experiment keys and variant names: 1–64 characters of `a-z 0-9 - _`, so they are safe as
    /// file names and as URL path segments.
    public static func isName<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }
    }
}
