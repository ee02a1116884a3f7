import Foundation

/// A one-line progress bar on stderr, redrawn at most ten times a second so that stdout stays clean
/// for the report. Plain lines instead when stderr is not a terminal.
final class ProgressBar {
    private let label: String
    private let interactive = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private var lastPercent = -1

    init(label: String) {
        self.label = label
        FileHandle.standardError.write(Data((label + "\n").utf8))
    }

    func update(_ done: Int, _ total: Int) {
        let percent = total > 0 ? done * 100 / total : 100
        if interactive {
            guard Date().timeIntervalSince(lastDraw) >= 0.1 || done == total else { return }
            lastDraw = Date()
            let filled = percent * 30 / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% (\(done)/\(total))".utf8))
        } else if percent / 10 != lastPercent / 10 {
            FileHandle.standardError.write(Data("\(percent)% (\(done)/\(total))\n".utf8))
        }
        lastPercent = percent
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
