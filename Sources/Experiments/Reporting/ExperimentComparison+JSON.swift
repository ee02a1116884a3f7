import Coaching
import JSON

extension ExperimentComparison {
    /// The shape of `GET /coaching/admin/experiments/{key}` and `coaching experiments report --format json`.
    public var json: JSONValue {
        .object([
            ("success", .bool(true)),
            ("experiment", .object([
                ("key", .string(definition.key)),
                ("title", .string(definition.title)),
                ("description", .string(definition.description)),
                ("status", .string(status.rawValue)),
                ("control", .string(definition.control)),
                ("winner", .optional(state?.winner)),
                ("started_at", .optional(state?.startedAt)),
                ("concluded_at", .optional(state?.concludedAt)),
                ("allocation", .string(definition.allocation.rawValue)),
                ("since", .optional(since)),
            ])),
            ("variants", .array(variants.map(\.json))),
            ("srm", sampleRatio.map { check in
                .object([("statistic", .double(check.statistic)), ("p_value", .double(check.pValue)),
                         ("mismatch", .bool(check.mismatch))])
            } ?? .null),
            ("verdict", verdictJSON),
            ("series", .array(series.map { point in
                let interval = WilsonInterval(successes: point.helpful, trials: point.rated)
                return .object([
                    ("day", .string(point.day)), ("variant", .string(point.variant)),
                    ("rated", .int(point.rated)), ("helpful", .int(point.helpful)),
                    ("rate", .number(ratio(point.helpful, point.rated))),
                    ("ci_low", .number(interval?.lower)), ("ci_high", .number(interval?.upper)),
                ])
            })),
        ])
    }

    private var verdictJSON: JSONValue {
        switch verdict {
        case .suggest(let winner):
            return .object([("winner", .string(winner)), ("reasons", .array([]))])
        case .insufficient(let reasons):
            return .object([("winner", .null), ("reasons", .array(reasons.map(JSONValue.string)))])
        }
    }

    /// One line per experiment in `GET /coaching/admin/experiments`.
    public var summaryJSON: JSONValue {
        .object([
            ("key", .string(definition.key)),
            ("title", .string(definition.title)),
            ("status", .string(status.rawValue)),
            ("control", .string(definition.control)),
            ("winner", .optional(state?.winner)),
            ("started_at", .optional(state?.startedAt)),
            ("variants", .array(variants.map { variant in
                .object([("name", .string(variant.name)), ("weight", .double(variant.weight)),
                         ("agents", .int(variant.agents)), ("hints", .int(variant.hints))])
            })),
        ])
    }
}

extension ExperimentComparison.Variant {
    var json: JSONValue {
        .object([
            ("name", .string(name)),
            ("weight", .double(weight)),
            ("is_control", .bool(isControl)),
            ("template_hash", .optional(templateHash)),
            ("agents", .int(agents)),
            ("hints", .int(hints)),
            ("view_rate", .number(viewRate)),
            ("feedback_rate", .number(feedbackRate)),
            ("helpful", .object([
                ("helpful", .int(helpful.helpful)),
                ("rated", .int(helpful.rated)),
                ("rate", .number(helpful.clustered?.rate)),
                ("ci_low", .number(helpful.interval?.lowerBound)),
                ("ci_high", .number(helpful.interval?.upperBound)),
                ("design_effect", .number(helpful.clustered?.designEffect)),
            ])),
            ("suggestion_use_rate", .number(suggestionUseRate)),
            ("no_hint_rate", .number(noHintRate)),
            ("invalid_output_rate", .number(invalidOutputRate)),
            ("cost_per_hint", .number(costPerHint)),
            ("latency_ms", .object([("p50", .number(latencyP50)), ("p95", .number(latencyP95))])),
            ("prob_best", .number(probabilityOfBeingBest)),
            ("prob_beats_control", .number(probabilityOfBeatingControl)),
            ("outcomes", .object([
                ("conversations", .int(outcomes.conversations)),
                ("with_outcome", .int(outcomes.withOutcome)),
                ("won", .int(outcomes.won)),
                ("lost", .int(outcomes.lost)),
                ("resolved", .int(outcomes.resolved)),
                ("abandoned", .int(outcomes.abandoned)),
                ("conversion_rate", .number(outcomes.conversionRate)),
                ("value_per_conversation", .number(outcomes.valuePerConversation)),
            ])),
            ("by_type", .array(byType.map { row in
                .object([("hint_type", .string(row.hintType)), ("hints", .int(row.hints)), ("rated", .int(row.rated)),
                         ("helpful", .int(row.helpful)), ("helpful_rate", .number(ratio(row.helpful, row.rated)))])
            })),
        ])
    }
}

extension JSONValue {
    static func number(_ value: Double?) -> JSONValue {
        guard let value, value.isFinite else { return .null }
        return .double((value * 1_000_000).rounded() / 1_000_000)
    }
}
