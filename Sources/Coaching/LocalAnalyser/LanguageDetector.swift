/// The two languages the local analyser writes in.
enum ChatLanguage: String, Sendable {
    case portuguese = "pt-BR"
    case english = "en"

    /// `pt`, `pt-BR`, `pt_PT`… are Portuguese; anything else is English.
    init(code: String) {
        self = code.lowercased().hasPrefix("pt") ? .portuguese : .english
    }
}

/// Tells Portuguese from English in short chat messages by counting common function words and
/// chat spellings of each language, plus Portuguese accented letters. When the text gives no
/// evidence either way ("ok", "👍", "10h") the caller's fallback wins.
enum LanguageDetector {
    static func detect(_ texts: [String], fallback: ChatLanguage) -> ChatLanguage {
        var portuguese = 0.0
        var english = 0.0
        for text in texts {
            for scalar in text.unicodeScalars where portugueseLetters.contains(scalar) { portuguese += 1.5 }
            for token in TextNormaliser.tokens(of: text) {
                if portugueseWords.contains(token) || token.hasPrefix("kkk") || hasPortugueseEnding(token) { portuguese += 1 }
                if englishWords.contains(token) { english += 1 }
            }
        }
        if portuguese > english { return .portuguese }
        if english > portuguese { return .english }
        return fallback
    }

    /// Endings that are typical of Portuguese words and rare in English ones (after accents are
    /// stripped): "-ção", "-ções", "-inho", "-mente", "-agem"…
    private static func hasPortugueseEnding(_ token: String) -> Bool {
        guard token.count >= 5 else { return false }
        return portugueseEndings.contains { token.hasSuffix($0) }
    }

    private static let portugueseEndings = ["cao", "coes", "sao", "soes", "inho", "inha", "mente", "agem", "ssimo", "ssima", "eiro", "eira"]

    /// Common function words and chat spellings of either language (no topic of their own).
    static func isFunctionWord(_ token: String) -> Bool {
        portugueseWords.contains(token) || englishWords.contains(token)
    }

    private static let portugueseLetters: Set<Unicode.Scalar> = ["ã", "õ", "ç", "á", "é", "í", "ó", "ú", "â", "ê", "ô", "à", "Ã", "Õ", "Ç", "Á", "É", "Í", "Ó", "Ú", "Â", "Ê", "Ô", "À"]

    /// Words that are common in Portuguese chats and rare in English ones (`a`, `me`, `no`,
    /// `to`, `show` and other spellings shared by both are left out).
    private static let portugueseWords: Set<String> = [
        "nao", "sim", "voce", "voces", "vc", "vcs", "que", "q", "pra", "para", "com", "uma", "um", "meu", "minha", "eu",
        "e", "o", "os", "as", "de", "do", "da", "dos", "das", "tem", "quero", "queria", "obrigado", "obrigada", "oi", "oii",
        "ola", "tudo", "bom", "boa", "dia", "tarde", "noite", "esta", "ta", "isso", "muito", "mais", "como", "qual", "quais",
        "quanto", "pode", "vou", "ja", "agora", "aqui", "valeu", "vlw", "blz", "beleza", "tb", "tbm", "pq", "por", "favor",
        "sou", "ele", "ela", "nos", "gente", "essa", "esse", "mesmo", "certo", "legal", "entao", "tambem", "hoje", "amanha",
        "depois", "ainda", "nada", "quando", "onde", "foi", "mal", "estou", "tou", "tava", "preciso", "seu", "sua",
        "nossa", "nosso", "obg", "entendi", "pois", "fechado", "fechou", "ate", "ne", "aff", "opa", "falar", "fazer",
        "assim", "mas", "num", "numa", "aceita", "aceito", "posso", "qualquer", "verdade", "empresa", "chama", "abre",
        "domingo", "proposta", "chegou", "certinho", "aguardo", "perfeito", "anotado", "tranquilo", "otimo", "valor",
        "preco", "quer", "quem", "porque", "falou", "manda", "pelo", "pela", "ao", "em", "la", "cade", "eh", "kk", "rs", "rsrs",
    ]

    private static let englishWords: Set<String> = [
        "the", "you", "your", "i", "im", "is", "are", "it", "its", "and", "for", "of", "this", "that", "thats", "what",
        "whats", "how", "does", "can", "will", "my", "we", "with", "have", "has", "not", "yes", "yeah", "yep", "thanks",
        "thank", "thx", "hi", "hello", "hey", "please", "sure", "just", "got", "in", "on", "at", "be", "would", "dont",
        "ill", "lol", "good", "great", "morning", "night", "our", "us", "they", "there", "here", "if", "when", "where",
        "which", "who", "why", "was", "were", "been", "an", "any", "all", "but", "from", "about", "want", "need",
        "cool", "nice", "awesome", "okay", "right", "send", "know", "too", "much", "really", "sorry", "done", "back",
        "cant", "wont", "didnt", "doesnt", "isnt", "ive", "youre", "theyre", "weve", "lets", "tbh", "idk", "btw", "fyi",
        "rn", "u", "ur", "k", "noted", "exactly", "worries", "see", "tomorrow", "today", "guys", "also", "feels", "bit",
        "should", "could", "shall", "might", "must", "price", "cheaper", "then", "than", "let",
    ]
}
