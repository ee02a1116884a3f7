/// What the local analyser tells the agent for each facet, in Portuguese and English: a short hint
/// (at most 280 characters) and three replies the agent can adapt (at most 300 characters each).
enum HintPhrasebook {
    struct Entry: Sendable {
        let hint: String
        let suggestions: [String]
    }

    static func entry(for facet: SituationFacet, language: ChatLanguage) -> Entry {
        language == .portuguese ? portuguese(facet) : english(facet)
    }

    // MARK: Portuguese

    private static func portuguese(_ facet: SituationFacet) -> Entry {
        switch facet {
        case .price:
            return Entry(
                hint: "Objeção de preço: o cliente achou o valor alto. Não dê desconto de cara — reforce o valor e o retorno antes de falar de condições.",
                suggestions: [
                    "Entendo! Posso te mostrar quanto você economiza por mês com a gente? Na maioria dos clientes o investimento se paga rápido.",
                    "Pra eu te ajudar melhor: com qual valor você estava contando? Assim te indico a opção que mais faz sentido.",
                    "Se o valor mensal pesa, o plano anual ou o parcelamento deixam a parcela menor. Quer que eu simule pra você?",
                ])
        case .competitor:
            return Entry(
                hint: "Objeção por concorrente: o cliente compara com outra solução. Pergunte o que ele mais valoriza e mostre o que vocês fazem diferente — sem falar mal do concorrente.",
                suggestions: [
                    "Faz todo sentido comparar! O que é mais importante pra você nessa escolha?",
                    "Muitos clientes nossos vieram de outras ferramentas. Posso te mostrar em 10 minutos o que muda no dia a dia?",
                    "Se quiser, me manda a proposta que você recebeu e eu comparo item por item, pra você ver o que está incluso em cada uma.",
                ])
        case .stall:
            return Entry(
                hint: "O cliente quer adiar (\"vou pensar\"). Descubra a dúvida real por trás disso e combine um próximo passo com data.",
                suggestions: [
                    "Claro! Pra te ajudar a decidir: ficou alguma dúvida ou algum ponto que não te convenceu?",
                    "Sem problema. Posso te chamar amanhã de manhã pra gente ver os detalhes juntos?",
                    "O que precisaria acontecer pra você se sentir seguro em seguir?",
                ])
        case .authority:
            return Entry(
                hint: "A decisão depende de outra pessoa (sócio, chefe, financeiro). Municie o cliente e ofereça conversar com quem decide.",
                suggestions: [
                    "Perfeito! Quer que eu prepare um resumo com valores e benefícios pra você apresentar?",
                    "Posso participar de uma ligação rápida com você e quem decide, pra tirar as dúvidas direto?",
                    "Qual você acha que vai ser a principal preocupação dele(a)?",
                ])
        case .timing:
            return Entry(
                hint: "Objeção de momento: o cliente quer deixar pra depois. Entenda o que muda até lá e mostre o custo de esperar.",
                suggestions: [
                    "Entendo. O que deve mudar até lá que torna aquele momento melhor?",
                    "Começando agora, você chega no próximo período com tudo funcionando. Faz sentido pra você?",
                    "Quer que eu veja se consigo manter as condições de hoje por mais alguns dias enquanto você se organiza?",
                ])
        case .doubt:
            return Entry(
                hint: "O cliente tem receio sobre encaixe ou risco (implantação, contrato, reputação). Acolha a preocupação e reduza o risco com exemplos concretos.",
                suggestions: [
                    "Faz sentido se preocupar com isso. O que exatamente te deixa em dúvida? Quero resolver com você.",
                    "Posso te mostrar o caso de um cliente parecido com você e como foi o começo dele.",
                    "Te explico como acompanhamos os primeiros dias, pra você não ficar sozinho na implantação.",
                ])
        case .upsell:
            return Entry(
                hint: "Oportunidade de expansão: o cliente fala em crescer ou em precisar de mais. Entenda o tamanho e apresente o plano que acompanha esse crescimento.",
                suggestions: [
                    "Que ótimo! Quantas pessoas ou unidades vocês terão nos próximos meses? Assim te indico o plano certo.",
                    "Nesse volume, o plano superior costuma sair mais em conta por usuário. Quer que eu compare pra você?",
                    "Posso já deixar tudo pronto pra esse crescimento, sem precisar migrar depois.",
                ])
        case .discount:
            return Entry(
                hint: "Pergunta sobre desconto ou condições: sinal de interesse real. Use como alavanca — vincule o benefício a um compromisso (anual, volume ou fechar agora).",
                suggestions: [
                    "Temos sim condições melhores! Pagando anual você economiza em relação ao mensal. Quer que eu simule?",
                    "Quantas licenças você pensa em contratar? Dependendo do volume, consigo uma condição melhor.",
                    "Se fecharmos esta semana, vejo com meu gestor a melhor condição possível pra você.",
                ])
        case .crossSell:
            return Entry(
                hint: "Oportunidade de venda complementar: o cliente citou outra necessidade. Explore e ofereça o produto ou módulo que resolve.",
                suggestions: [
                    "Conseguimos te ajudar com isso também! Me conta um pouco mais do que você precisa?",
                    "Muitos clientes usam os dois juntos. Posso te mostrar como funciona integrado?",
                    "Quer que eu inclua isso na proposta, pra você ver o valor de tudo junto?",
                ])
        case .referral:
            return Entry(
                hint: "Oportunidade de indicação: o cliente citou outra pessoa ou empresa que pode se interessar. Peça o contato ou uma apresentação.",
                suggestions: [
                    "Que legal! Quer me passar o contato? Posso falar direto com a pessoa, sem compromisso.",
                    "Se preferir, te mando um material pra você encaminhar.",
                    "Se fizerem juntos, vejo uma condição especial pros dois. Quer que eu verifique?",
                ])
        case .pricing:
            return Entry(
                hint: "Pergunta de preço: responda com clareza e já ligue o valor ao principal benefício para este cliente.",
                suggestions: [
                    "Te passo o valor certinho! Pra indicar o melhor plano: quantas pessoas vão usar?",
                    "Além do valor, te mostro o que está incluso, pra você comparar com tranquilidade.",
                    "Temos opção mensal e anual. Quer que eu te mande as duas simuladas?",
                ])
        case .contractTerms:
            return Entry(
                hint: "Pergunta sobre contrato (multa, fidelidade, cancelamento): seja transparente — clareza aqui gera a confiança que falta pra fechar.",
                suggestions: [
                    "Ótima pergunta! Te explico as condições do contrato de forma bem direta.",
                    "Posso te mandar o contrato pra você ler com calma antes de decidir.",
                    "Qual é a sua maior preocupação com o contrato? Assim te respondo exatamente isso.",
                ])
        case .delivery:
            return Entry(
                hint: "Pergunta sobre prazo ou entrega: confirme prazo e custo exatos para o endereço do cliente — incerteza aqui trava a compra.",
                suggestions: [
                    "Me passa seu CEP que eu confirmo agora o prazo e o frete exatos.",
                    "Fechando hoje, já te passo a data prevista de entrega e o código de rastreio assim que sair.",
                    "Você precisa receber até alguma data específica? Vejo a melhor opção de envio.",
                ])
        case .product:
            return Entry(
                hint: "Pergunta importante sobre o produto ou plano: responda de forma objetiva e confirme se isso atende à necessidade do cliente.",
                suggestions: [
                    "Ótima pergunta, já te explico! Pra ser bem preciso: como você pretende usar isso no dia a dia?",
                    "Posso te mostrar isso funcionando numa demonstração rápida de 10 minutos.",
                    "Se quiser, te mando um material com o passo a passo.",
                ])
        case .dataSecurity:
            return Entry(
                hint: "Pergunta sobre dados e segurança (LGPD): responda com precisão e ofereça documentação — isso costuma ser critério de decisão.",
                suggestions: [
                    "Levamos isso muito a sério. Te explico onde os dados ficam e como são protegidos.",
                    "Posso te enviar nossa documentação de segurança e privacidade (LGPD).",
                    "Se tiver um time de TI ou jurídico, respondo as dúvidas deles diretamente.",
                ])
        case .support:
            return Entry(
                hint: "Pergunta sobre suporte: explique canais, horários e idioma, e mostre que o cliente não vai ficar sozinho.",
                suggestions: [
                    "Te explico agora nossos canais e horários de suporte.",
                    "Além do suporte, você tem acompanhamento na implantação.",
                    "Quer que eu te mostre como abrir um chamado? Você vai ver como é simples.",
                ])
        case .trial:
            return Entry(
                hint: "Pergunta sobre teste ou demonstração: ofereça um jeito de experimentar e já combine um acompanhamento.",
                suggestions: [
                    "Te explico como funciona o teste e já deixo tudo pronto pra você.",
                    "Posso agendar uma demonstração de 15 minutos com você ainda esta semana?",
                    "Durante o teste eu te acompanho, pra você aproveitar ao máximo.",
                ])
        case .delay:
            return Entry(
                hint: "Cliente insatisfeito com atraso ou espera. Peça desculpas, assuma o caso e dê um prazo concreto — nada de resposta genérica.",
                suggestions: [
                    "Você tem toda razão, peço desculpas pela demora. Vou verificar agora mesmo e te dou um retorno ainda hoje.",
                    "Me passa o número do pedido ou protocolo? Eu assumo o seu caso pessoalmente.",
                    "Vou acompanhar até resolver e te aviso a cada atualização.",
                ])
        case .defect:
            return Entry(
                hint: "Cliente frustrado com defeito ou falha. Reconheça o problema, peça detalhes e ofereça solução imediata (troca, correção ou alternativa).",
                suggestions: [
                    "Poxa, sinto muito! Pode me mandar uma foto ou print do problema? Já resolvo com você.",
                    "Vou abrir agora a troca ou correção com prioridade e te passo o protocolo.",
                    "Enquanto isso, te passo uma alternativa pra você não ficar parado.",
                ])
        case .poorService:
            return Entry(
                hint: "Cliente irritado com o atendimento (sem resposta, repetição, promessa não cumprida). Valide o sentimento e assuma o caso até o fim.",
                suggestions: [
                    "Você tem razão, e peço desculpas por ter precisado repetir. A partir de agora eu cuido do seu caso.",
                    "Já li o histórico, então não precisa explicar de novo — vamos resolver agora.",
                    "Vou te passar meu contato direto, pra você não depender da fila.",
                ])
        case .billing:
            return Entry(
                hint: "Cliente insatisfeito com cobrança. Confirme o problema, explique o que será feito e em quanto tempo o valor volta.",
                suggestions: [
                    "Sinto muito pelo transtorno! Vou verificar essa cobrança agora mesmo.",
                    "Se a cobrança estiver errada, já solicito o estorno e te informo o prazo certinho.",
                    "Me passa a data e o valor cobrado? Assim eu agilizo a análise.",
                ])
        case .frustration:
            return Entry(
                hint: "Cliente insatisfeito. Desacelere: reconheça a frustração, peça desculpas e pergunte o que resolveria agora, antes de vender qualquer coisa.",
                suggestions: [
                    "Entendo sua frustração e peço desculpas. Me conta o que aconteceu, quero resolver isso.",
                    "Você tem razão em estar chateado. O que seria a solução ideal pra você agora?",
                    "Vou cuidar disso pessoalmente e te manter informado.",
                ])
        case .payment:
            return Entry(
                hint: "Sinal de compra: o cliente quer pagar. Facilite — envie o link ou os dados de pagamento agora e confirme o pedido.",
                suggestions: [
                    "Ótimo! Te mando agora o link de pagamento; é só escolher a forma que preferir.",
                    "Prefere pagar no Pix, no cartão ou no boleto? Já deixo pronto pra você.",
                    "Assim que o pagamento for confirmado, te envio a confirmação e os próximos passos.",
                ])
        case .purchase:
            return Entry(
                hint: "Sinal de compra: o cliente disse que quer comprar. Pare de vender — confirme item, quantidade e pagamento e feche o pedido.",
                suggestions: [
                    "Perfeito! Vou confirmar com você o item e a quantidade e já gero o pedido.",
                    "Qual forma de pagamento você prefere? Já deixo tudo pronto.",
                    "Me passa seus dados (nome ou razão social, CPF/CNPJ e e-mail) pra eu emitir o pedido agora.",
                ])
        case .nextStep:
            return Entry(
                hint: "Sinal de compra: o cliente pergunta como contratar. Guie passo a passo e ofereça fazer junto com ele agora.",
                suggestions: [
                    "É bem simples! Faço com você agora: só preciso do seu nome, e-mail e CPF/CNPJ.",
                    "Te mando o link de cadastro e fico aqui acompanhando até você terminar.",
                    "Assim que concluir, libero seu acesso e te mostro os primeiros passos.",
                ])
        case .paperwork:
            return Entry(
                hint: "Momento de fechar: o cliente pediu contrato ou proposta. Envie hoje, com próximos passos claros, e combine quando será assinado.",
                suggestions: [
                    "Perfeito! Te envio o contrato ainda hoje; dá pra assinar digitalmente em poucos minutos.",
                    "Pra emitir certinho, me confirma a razão social, o CNPJ e o e-mail de quem assina?",
                    "Assim que assinar, já agendamos o início. Qual o melhor dia pra você?",
                ])
        case .decision:
            return Entry(
                hint: "Momento de fechar: o cliente decidiu. Confirme os termos, formalize agora e não reabra a negociação.",
                suggestions: [
                    "Excelente, fico muito feliz! Vou formalizar agora e te mando tudo pra assinatura.",
                    "Só pra recapitular o que combinamos: plano, valor e data de início. Posso confirmar?",
                    "Quem vai ser o responsável pela implantação do seu lado? Já deixo agendado.",
                ])
        case .start:
            return Entry(
                hint: "Momento de fechar: o cliente quer começar. Confirme o que falta (assinatura ou pagamento) e marque a data de início agora.",
                suggestions: [
                    "Dá sim! Assim que confirmarmos a assinatura e o pagamento, começamos.",
                    "Vamos agendar a primeira reunião de implantação? Amanhã cedo funciona pra você?",
                    "Te mando agora o que preciso pra liberar seu acesso.",
                ])
        case .conditional:
            return Entry(
                hint: "Fechamento condicionado: o cliente fecha se tiver uma condição (desconto, prazo). Se puder atender, confirme e feche na hora; se não, ofereça uma troca.",
                suggestions: [
                    "Se eu conseguir essa condição, fechamos hoje mesmo, combinado?",
                    "Vou confirmar agora com meu gestor e já te retorno com a resposta.",
                    "Exatamente isso eu não consigo, mas posso oferecer outra condição se fecharmos hoje. Pode ser?",
                ])
        case .manager:
            return Entry(
                hint: "Escalar: o cliente pediu um gestor ou responsável. Não resista — acione o supervisor, avise o cliente e fique com ele até a passagem.",
                suggestions: [
                    "Entendo. Vou acionar meu supervisor agora e ele fala com você em seguida.",
                    "Enquanto isso, me resume o principal problema pra eu já passar pra ele?",
                    "Fico aqui com você até ele assumir, tudo bem?",
                ])
        case .legal:
            return Entry(
                hint: "Escalar: ameaça legal ou a órgão de defesa (Procon, advogado, justiça). Não discuta nem prometa — registre e envolva o responsável agora.",
                suggestions: [
                    "Entendo a gravidade e quero resolver. Vou encaminhar seu caso agora para o responsável.",
                    "Pode me confirmar os detalhes e o número do pedido? Registro tudo para a análise.",
                    "O responsável vai te dar um retorno ainda hoje.",
                ])
        case .cancellation:
            return Entry(
                hint: "Escalar: o cliente quer cancelar. Acione retenção ou o gestor, e ouça o motivo antes de qualquer oferta.",
                suggestions: [
                    "Sinto muito que chegamos a esse ponto. Antes de seguir, pode me contar o que mais pesou?",
                    "Vou envolver o responsável agora pra buscarmos uma solução pra você.",
                    "Se mesmo assim quiser cancelar, te explico o processo com toda a transparência.",
                ])
        case .chargeback:
            return Entry(
                hint: "Escalar: contestação ou estorno no cartão. Envolva o financeiro agora e ofereça resolver direto, mais rápido que pelo banco.",
                suggestions: [
                    "Entendo. Posso resolver isso diretamente com você, bem mais rápido que pelo banco.",
                    "Vou acionar nosso financeiro agora pra analisar a cobrança.",
                    "Me passa a data e o valor? Te dou um retorno com prazo ainda hoje.",
                ])
        case .publicExposure:
            return Entry(
                hint: "Escalar: o cliente ameaça expor a empresa (Reclame Aqui, redes sociais). Acione o responsável e foque em resolver o problema de fato.",
                suggestions: [
                    "Entendo sua insatisfação e quero resolver isso antes de tudo. O que precisa acontecer?",
                    "Vou envolver meu supervisor agora pra priorizar o seu caso.",
                    "Te dou um retorno concreto ainda hoje.",
                ])
        }
    }

    // MARK: English

    private static func english(_ facet: SituationFacet) -> Entry {
        switch facet {
        case .price:
            return Entry(
                hint: "Price objection: the customer finds it expensive. Don't discount straight away — restate the value and the return first.",
                suggestions: [
                    "I understand. Could I show you how much you'd save each month? For most customers it pays for itself quickly.",
                    "So I can help: what budget did you have in mind? Then I can suggest the option that fits best.",
                    "If the monthly amount is the concern, annual billing or instalments bring it down. Want me to run the numbers?",
                ])
        case .competitor:
            return Entry(
                hint: "Competitor objection: the customer is comparing you with another option. Ask what matters most to them and show what you do differently — never knock the competitor.",
                suggestions: [
                    "Comparing makes total sense! What matters most to you in this decision?",
                    "Many of our customers switched from other tools. Could I show you in 10 minutes what changes day to day?",
                    "If you share the quote you received, I'll compare it line by line so you can see what's included in each.",
                ])
        case .stall:
            return Entry(
                hint: "The customer is stalling (\"I'll think about it\"). Uncover the real concern behind it and agree on a next step with a date.",
                suggestions: [
                    "Of course! To help you decide: is there a question or a point that didn't convince you?",
                    "No problem. Could I check in with you tomorrow morning to go over the details together?",
                    "What would need to happen for you to feel confident going ahead?",
                ])
        case .authority:
            return Entry(
                hint: "Someone else makes the call (boss, partner, finance). Equip your contact and offer to join the conversation with the decision-maker.",
                suggestions: [
                    "Makes sense! Shall I put together a one-page summary with pricing and benefits for you to share?",
                    "Could I join a quick call with you and the decision-maker to answer their questions directly?",
                    "What do you think their main concern will be?",
                ])
        case .timing:
            return Entry(
                hint: "Timing objection: the customer wants to wait. Find out what changes by then and show the cost of waiting.",
                suggestions: [
                    "Understood. What will be different by then that makes it a better time?",
                    "Starting now means you'd have everything running before then. Would that help?",
                    "Would it help if I check whether today's terms can be held for a few more days?",
                ])
        case .doubt:
            return Entry(
                hint: "The customer doubts the fit or the risk (setup, contract, reputation). Acknowledge the concern and reduce the risk with concrete proof.",
                suggestions: [
                    "That's a fair concern. What exactly worries you? I'd like to sort it out with you.",
                    "I can show you how a customer similar to you got started and what their first weeks looked like.",
                    "Let me explain how we support you in the first days, so you're never on your own during setup.",
                ])
        case .upsell:
            return Entry(
                hint: "Expansion opportunity: the customer mentions growth or needing more. Size it up and present the plan that grows with them.",
                suggestions: [
                    "That's great! How many people or locations will you have in the next few months? Then I can point you to the right plan.",
                    "At that volume the higher tier usually works out cheaper per user. Shall I compare them for you?",
                    "I can set things up for that growth now, so there's no migration later.",
                ])
        case .discount:
            return Entry(
                hint: "Asking about discounts or terms signals real interest. Use it as leverage — tie any benefit to a commitment (annual, volume or signing now).",
                suggestions: [
                    "Yes, there are better terms! Paying annually saves you money compared with monthly. Want me to work it out?",
                    "How many licenses are you thinking of? Depending on volume I can get you a better price.",
                    "If we can wrap this up this week, I'll check with my manager for the best terms possible.",
                ])
        case .crossSell:
            return Entry(
                hint: "Cross-sell opportunity: the customer mentioned another need. Explore it and offer the product or add-on that covers it.",
                suggestions: [
                    "We can help with that too! Could you tell me a bit more about what you need?",
                    "Many customers use both together. Shall I show you how they work side by side?",
                    "Want me to add it to your quote so you can see everything in one price?",
                ])
        case .referral:
            return Entry(
                hint: "Referral opportunity: the customer mentioned someone else who could be interested. Ask for an introduction or their contact.",
                suggestions: [
                    "That's great! Would you like to share their contact? I can reach out directly, no pressure.",
                    "If you prefer, I can send you something to forward to them.",
                    "If you both sign up, I can check for a joint offer. Shall I look into it?",
                ])
        case .pricing:
            return Entry(
                hint: "Pricing question: answer clearly and tie the price to the main benefit for this customer.",
                suggestions: [
                    "Happy to give you the exact price! To point you to the right plan: how many people will use it?",
                    "Besides the price, I'll show you what's included so you can compare easily.",
                    "There's a monthly and an annual option. Shall I send you both?",
                ])
        case .contractTerms:
            return Entry(
                hint: "Contract question (fees, commitment, cancellation): be transparent — clarity here builds the trust needed to close.",
                suggestions: [
                    "Good question! Let me explain the contract terms plainly.",
                    "I can send you the contract so you can read it at your own pace before deciding.",
                    "What's your main concern about the contract? Then I'll answer exactly that.",
                ])
        case .delivery:
            return Entry(
                hint: "Delivery question: confirm the exact lead time and cost for their address — uncertainty here stalls purchases.",
                suggestions: [
                    "Could you share your postcode or ZIP? I'll confirm the exact delivery time and cost right now.",
                    "If you order today, I'll give you the expected delivery date and send tracking as soon as it ships.",
                    "Do you need it by a particular date? I'll find the best shipping option.",
                ])
        case .product:
            return Entry(
                hint: "Key product question: answer concisely and check that it meets the customer's need.",
                suggestions: [
                    "Great question, let me explain! To be precise: how are you planning to use this day to day?",
                    "I can show you this working in a quick 10-minute demo.",
                    "If you like, I'll send you a short step-by-step guide.",
                ])
        case .dataSecurity:
            return Entry(
                hint: "Data or security question (GDPR, hosting, SSO): answer precisely and offer documentation — this is often a decision criterion.",
                suggestions: [
                    "We take this seriously. Here's where your data is stored and how it's protected.",
                    "I can send you our security and privacy documentation.",
                    "If your IT or legal team has questions, I'm happy to answer them directly.",
                ])
        case .support:
            return Entry(
                hint: "Support question: explain channels, hours and language, and show the customer they won't be left alone.",
                suggestions: [
                    "Let me walk you through our support channels and hours.",
                    "Besides support, you'll have help during setup.",
                    "Want me to show you how to open a ticket? You'll see how simple it is.",
                ])
        case .trial:
            return Entry(
                hint: "Trial or demo question: offer a way to try it and agree on a follow-up.",
                suggestions: [
                    "Let me explain how the trial works and set it up for you.",
                    "Could I book a 15-minute demo with you this week?",
                    "During the trial I'll check in with you so you get the most out of it.",
                ])
        case .delay:
            return Entry(
                hint: "Unhappy about a delay or waiting. Apologise, take ownership and give a concrete time — no generic excuses.",
                suggestions: [
                    "You're absolutely right, and I'm sorry for the wait. I'm checking this now and will get back to you today.",
                    "Could you share your order or ticket number? I'll take this on personally.",
                    "I'll follow it through until it's resolved and update you at every step.",
                ])
        case .defect:
            return Entry(
                hint: "Frustrated by a defect or failure. Acknowledge it, get the details and offer an immediate fix (replacement, correction or workaround).",
                suggestions: [
                    "I'm really sorry about this! Could you send me a photo or screenshot? I'll sort it out with you.",
                    "I'm opening a priority replacement or fix right now and will send you the reference.",
                    "Meanwhile, let me give you a workaround so you're not stuck.",
                ])
        case .poorService:
            return Entry(
                hint: "Upset with the service (no reply, repeating themselves, broken promises). Validate the feeling and own the case to the end.",
                suggestions: [
                    "You're right, and I'm sorry you had to repeat yourself. I'll personally handle this from now on.",
                    "I've read the history, so no need to explain again — let's fix it now.",
                    "I'll give you my direct contact so you don't have to wait in a queue.",
                ])
        case .billing:
            return Entry(
                hint: "Unhappy about billing. Confirm the issue, explain what will happen and when the money comes back.",
                suggestions: [
                    "I'm sorry for the trouble! I'm checking the charge right now.",
                    "If the charge is wrong, I'll request the refund straight away and tell you exactly when to expect it.",
                    "Could you share the date and amount charged? That will speed things up.",
                ])
        case .frustration:
            return Entry(
                hint: "Unhappy customer. Slow down: acknowledge the frustration, apologise and ask what would fix it now, before selling anything.",
                suggestions: [
                    "I understand your frustration and I'm sorry. Tell me what happened and I'll make it right.",
                    "You have every right to be upset. What would the ideal fix look like for you right now?",
                    "I'll handle this personally and keep you posted.",
                ])
        case .payment:
            return Entry(
                hint: "Buying signal: the customer wants to pay. Make it easy — send the payment link or details now and confirm the order.",
                suggestions: [
                    "Great! I'll send you the payment link right now; just pick the method you prefer.",
                    "Would you rather pay by card or bank transfer? I'll set it up for you.",
                    "As soon as the payment is confirmed I'll send you the confirmation and next steps.",
                ])
        case .purchase:
            return Entry(
                hint: "Buying signal: the customer said they want to buy. Stop selling — confirm item, quantity and payment, and place the order.",
                suggestions: [
                    "Perfect! Let me confirm the item and quantity with you and I'll create the order.",
                    "Which payment method do you prefer? I'll get everything ready.",
                    "Could you send me your name, company details and email so I can place the order now?",
                ])
        case .nextStep:
            return Entry(
                hint: "Buying signal: the customer asks how to get started. Walk them through it step by step and offer to do it together now.",
                suggestions: [
                    "It's quick! I can do it with you now — I just need your name, email and company details.",
                    "I'll send you the sign-up link and stay here until you're done.",
                    "Once you're in, I'll activate your access and show you the first steps.",
                ])
        case .paperwork:
            return Entry(
                hint: "Time to close: the customer asked for the contract or proposal. Send it today with clear next steps and agree when it will be signed.",
                suggestions: [
                    "Perfect! I'll send the contract today — you can sign it digitally in a couple of minutes.",
                    "To get it right, could you confirm the legal company name and the signer's email?",
                    "As soon as it's signed we'll schedule the kick-off. Which day suits you?",
                ])
        case .decision:
            return Entry(
                hint: "Time to close: the customer has decided. Confirm the terms, formalise it now and don't reopen the negotiation.",
                suggestions: [
                    "Excellent, great to hear! I'll formalise it now and send everything over for signature.",
                    "Just to recap what we agreed: plan, price and start date. Can I confirm?",
                    "Who will lead the rollout on your side? I'll get it scheduled.",
                ])
        case .start:
            return Entry(
                hint: "Time to close: the customer wants to start. Confirm what's still missing (signature or payment) and book the start date now.",
                suggestions: [
                    "Yes, we can! As soon as the signature and payment are in, we get going.",
                    "Let's book the first onboarding session. Does tomorrow morning work for you?",
                    "I'll send you what I need to activate your access right now.",
                ])
        case .conditional:
            return Entry(
                hint: "Conditional close: the customer will sign if a condition is met (discount, timing). If you can meet it, confirm and close now; if not, offer a trade-off.",
                suggestions: [
                    "If I can get that approved, we sign today. Deal?",
                    "Let me confirm with my manager right now and come straight back to you.",
                    "I can't do exactly that, but I can offer something else if we close today. Would that work?",
                ])
        case .manager:
            return Entry(
                hint: "Escalate: the customer asked for a manager. Don't resist — bring in your supervisor, tell the customer and stay with them until the handover.",
                suggestions: [
                    "I understand. I'm bringing in my supervisor now and they'll be with you shortly.",
                    "Meanwhile, could you sum up the main issue so I can brief them?",
                    "I'll stay here with you until they take over, okay?",
                ])
        case .legal:
            return Entry(
                hint: "Escalate: legal or regulator threat (lawyer, court, BBB). Don't argue or promise anything — log it and involve your manager now.",
                suggestions: [
                    "I understand how serious this is and I want to resolve it. I'm passing your case to the right person now.",
                    "Could you confirm the details and your order number? I'll record everything for the review.",
                    "You'll hear back from them today.",
                ])
        case .cancellation:
            return Entry(
                hint: "Escalate: the customer wants to cancel. Bring in retention or your manager, and hear the reason before making any offer.",
                suggestions: [
                    "I'm sorry it has come to this. Before anything else, could you tell me what weighed most?",
                    "I'm bringing in the right person now so we can find a solution for you.",
                    "If you still want to cancel, I'll explain the process transparently.",
                ])
        case .chargeback:
            return Entry(
                hint: "Escalate: chargeback or card dispute. Involve finance now and offer to resolve it directly, faster than the bank.",
                suggestions: [
                    "I understand. I can sort this out with you directly, much faster than through the bank.",
                    "I'm bringing in our finance team now to review the charge.",
                    "Could you give me the date and amount? I'll come back to you with a timeline today.",
                ])
        case .publicExposure:
            return Entry(
                hint: "Escalate: the customer threatens to go public (reviews, social media). Bring in your manager and focus on actually fixing the problem.",
                suggestions: [
                    "I understand you're unhappy and I want to fix this first. What needs to happen?",
                    "I'm involving my supervisor now to prioritise your case.",
                    "You'll get a concrete update from me today.",
                ])
        }
    }
}
