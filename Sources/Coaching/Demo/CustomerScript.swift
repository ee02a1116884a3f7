/// Realistic customer lines (pt-BR and en) that `coaching simulate` plays into demo conversations,
/// so that a newcomer sees hints arrive without a chat system of their own.
public enum CustomerScript {
    public static let portuguese = [
        "Oi, boa tarde! Queria saber mais sobre o plano anual.",
        "Achei meio caro, o concorrente cobra bem menos pelo mesmo pacote.",
        "Vocês têm desconto para pagamento à vista?",
        "Perfeito, como faço para assinar hoje?",
        "Estou esperando retorno há uma semana e ninguém me responde, que absurdo.",
        "Quero falar com o gerente agora, senão vou cancelar.",
        "O plano empresarial inclui suporte por telefone?",
        "Gostei bastante, me manda o link de pagamento?",
        "Vou pensar um pouco e depois te falo, tá?",
        "Se eu fechar hoje vocês conseguem começar a implantação na segunda?",
        "Também preciso de mais licenças para a equipe de vendas, vocês têm?",
        "Obrigado pelas informações!",
    ]

    public static let english = [
        "Hi! I'd like to know more about the annual plan.",
        "Honestly it's too expensive, your competitor is much cheaper.",
        "Do you offer a discount if I pay upfront?",
        "Great, how do I pay? Send me the link.",
        "I've been waiting for a week and nobody answers me. This is unacceptable.",
        "I want to talk to your manager right now or I'm cancelling.",
        "Does the premium plan include phone support?",
        "If we sign today, can you start onboarding on Monday?",
        "We'll also need more seats for the sales team, is that possible?",
        "Thanks for the help!",
    ]

    /// A deterministic line for the n-th message, in the language that suits the conversation.
    public static func line(_ n: Int, english: Bool) -> String {
        let lines = english ? Self.english : Self.portuguese
        return lines[((n % lines.count) + lines.count) % lines.count]
    }
}
