import Foundation

/// The package's root directory, found by walking up from this file to `Package.swift`, so tests
/// read the shipped files (`eval/`, `prompts/`) wherever in `Tests/` they live.
enum PackageRoot {
    static let url: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
            directory.deleteLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    static func path(_ relative: String) -> String {
        url.appendingPathComponent(relative).path
    }
}
