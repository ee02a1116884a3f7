/// One RFC 4180 field: quoted when it holds a comma, quote or line break, so reports open cleanly
/// in a spreadsheet.
public enum CSVField {
    public static func escape(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
