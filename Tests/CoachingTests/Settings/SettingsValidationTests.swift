import XCTest
import JSON
@testable import Coaching

final class SettingsValidationTests: XCTestCase {
    private func check(_ text: String, current: SettingsDocuments = SettingsDocuments()) throws -> SettingsChange {
        try SettingsValidation.check(try JSONParser.parse(text), current: current)
    }

    /// The problems an invalid body yields, as field → message.
    private func problems(_ text: String, current: SettingsDocuments = SettingsDocuments()) throws -> [String: String] {
        do {
            _ = try check(text, current: current)
        } catch let error as CoachingError {
            guard case .invalidFields(let found) = error else { XCTFail("unexpected \(error)"); return [:] }
            return Dictionary(found.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
        }
        XCTFail("expected problems for \(text)")
        return [:]
    }

    func testAcceptsEveryOriginalKeyAndNormalises() throws {
        let change = try check("""
            {"realtime_coaching":{"enabled":true,"model":" gpt-4o-mini ","temperature":"0.7","max_analyses_per_minute":600,
             "min_interval_between_analyses":0,"use_queue":"1","queue_processing_delay":0.5,"max_queue_size":100,
             "analyze_only_client_messages":true,"min_message_length":12,"skip_if_agent_typing":false,"use_cache":true,
             "cache_ttl_minutes":60,"cache_similarity_threshold":0.9,"cost_limit_per_hour":2,"cost_limit_per_day":20,
             "hint_types":{"objection":false},"auto_show_hint":true,"hint_display_duration":30,"play_sound":"off"}}
            """)
        let values = JSONValue.object(change.coaching)
        XCTAssertEqual(change.coaching.count, SettingsSchema.coaching.count)
        XCTAssertEqual(values["model"], .string("gpt-4o-mini"))
        XCTAssertEqual(values["temperature"], .double(0.7))
        XCTAssertEqual(values["use_queue"], .bool(true))
        XCTAssertEqual(values["play_sound"], .bool(false))
        // a partial hint_types object is merged with the current flags into all seven
        XCTAssertEqual(values["hint_types"]?.objectValue?.count, HintType.allCases.count)
        XCTAssertEqual(values["hint_types"]?["objection"], .bool(false))
        XCTAssertEqual(values["hint_types"]?["question"], .bool(true))
        XCTAssertEqual(change.apiKey, .keep)
        // keys come out in the schema's order, whatever order they were sent in
        XCTAssertEqual(change.coaching.map(\.0), SettingsSchema.coaching.map(\.key))
    }

    func testEveryMistakeIsReportedOnItsOwnField() throws {
        let found = try problems("""
            {"realtime_coaching":{"enabled":"maybe","temperature":1.5,"max_analyses_per_minute":2.5,"model":"",
             "cache_similarity_threshold":0.2,"hint_types":{"objection":"x","bogus":true},"shiny":1},
             "service":{"provider":"anthropic","base_url":"ftp://x","max_tokens":5,"prices":{"gpt-x":{"input":-1}}},
             "extra":true}
            """)
        XCTAssertEqual(found["realtime_coaching.enabled"], "must be true or false")
        XCTAssertEqual(found["realtime_coaching.temperature"], "must be between 0 and 1")
        XCTAssertEqual(found["realtime_coaching.max_analyses_per_minute"], "must be a whole number")
        XCTAssertEqual(found["realtime_coaching.model"], "must not be empty")
        XCTAssertEqual(found["realtime_coaching.cache_similarity_threshold"], "must be between 0.5 and 1")
        XCTAssertEqual(found["realtime_coaching.hint_types.objection"], "must be true or false")
        XCTAssertEqual(found["realtime_coaching.hint_types.bogus"], "unknown hint type")
        XCTAssertEqual(found["realtime_coaching.shiny"], "unknown setting")
        XCTAssertEqual(found["service.provider"], "must be one of: auto, openai, local")
        XCTAssertEqual(found["service.base_url"], "must start with http:// or https://")
        XCTAssertEqual(found["service.max_tokens"], "must be between 16 and 4096")
        XCTAssertEqual(found["service.prices.gpt-x.input"], "must be a number between 0 and 10000")
        XCTAssertEqual(found["service.prices.gpt-x.output"], "is required")
        XCTAssertEqual(found["extra"], "unknown setting")
        XCTAssertEqual(found.count, 14)
    }

    func testAllHintTypesOffIsRejected() throws {
        let off = HintType.allCases.map { "\"\($0.rawValue)\":false" }.joined(separator: ",")
        let found = try problems(#"{"realtime_coaching":{"hint_types":{\#(off)}}}"#)
        XCTAssertEqual(found, ["realtime_coaching.hint_types": "enable at least one hint type"])
    }

    func testCrossFieldRuleUsesStoredValuesForAbsentKeys() throws {
        let stored = SettingsDocuments(service: try JSONParser.parse(#"{"total_timeout_ms":1000}"#))
        let found = try problems(#"{"service":{"connect_timeout_ms":2000}}"#, current: stored)
        XCTAssertEqual(found, ["service.connect_timeout_ms": "must not exceed total_timeout_ms (1000)"])
        XCTAssertNoThrow(try check(#"{"service":{"connect_timeout_ms":2000,"total_timeout_ms":3000}}"#, current: stored))
    }

    func testAPIKeyIsWriteOnlyEmptyKeepsAndClearNeedsItsOwnWord() throws {
        XCTAssertEqual(try check(#"{"openai_api_key":""}"#).apiKey, .keep)
        XCTAssertEqual(try check(#"{"openai_api_key":"  sk-new  "}"#).apiKey, .set("sk-new"))
        XCTAssertEqual(try check(#"{"clear_openai_api_key":true}"#).apiKey, .clear)
        XCTAssertEqual(try check(#"{"clear_openai_api_key":false}"#).apiKey, .keep)
        XCTAssertEqual(try problems(#"{"openai_api_key":"sk-1","clear_openai_api_key":true}"#),
                       ["clear_openai_api_key": "cannot set a new key and clear the key at once"])
        let found = try problems(#"{"openai_api_key":"sk with space"}"#)
        XCTAssertEqual(found["openai_api_key"], "must not contain spaces or control characters")
        XCTAssertFalse(found.values.joined().contains("sk with space"), "a rejected key is never echoed")
    }

    func testPricesReplaceTheOverridesAndAreShownBack() throws {
        let change = try check(#"{"service":{"prices":{" my-model ":{"input":1,"output":"2.5"}},"unknown_model_price":{"input":3,"output":4}}}"#)
        let after = SettingsDocuments().applying(change)
        let service = after.serviceSettings
        XCTAssertEqual(service.priceOverrides["my-model"], PriceTable.Price(input: 1, output: 2.5))
        XCTAssertEqual(service.unknownModelPrice, PriceTable.Price(input: 3, output: 4))
        XCTAssertEqual(after.adminJSON["service"]?["prices"]?["my-model"]?["output"], .double(2.5))
    }

    func testApplyingKeepsUnknownKeysOfBothRows() throws {
        let stored = SettingsDocuments(
            conversationSettings: try JSONParser.parse(#"{"auto_assign":true,"realtime_coaching":{"enabled":false,"legacy_flag":"x"},"sla":15}"#),
            service: try JSONParser.parse(#"{"future_knob":7}"#),
            apiKeySet: true)
        let change = try check(#"{"realtime_coaching":{"enabled":true},"service":{"language":"EN"}}"#, current: stored)
        let after = stored.applying(change)
        XCTAssertEqual(after.conversationSettings.map(JSONWriter.string),
                       #"{"auto_assign":true,"realtime_coaching":{"enabled":true,"legacy_flag":"x"},"sla":15}"#)
        XCTAssertEqual(after.service.map(JSONWriter.string), #"{"future_knob":7,"language":"en"}"#)
        XCTAssertTrue(after.coaching.enabled)
        XCTAssertTrue(after.apiKeySet)
    }

    func testAdminViewNeverCarriesTheKeyOrUnknownKeys() throws {
        let stored = SettingsDocuments(
            conversationSettings: try JSONParser.parse(#"{"openai_api_key":"sk-secret","realtime_coaching":{"api_key":"sk-secret"}}"#),
            apiKeySet: true)
        let text = JSONWriter.string(stored.adminJSON)
        XCTAssertFalse(text.contains("sk-secret"))
        XCTAssertTrue(text.contains(#""api_key_set":true"#))
    }

    func testSchemaListsEveryFieldTheSettingsPublish() {
        let coachingKeys = CoachingSettings().json.objectValue?.map(\.0) ?? []
        XCTAssertEqual(SettingsSchema.coaching.map(\.key), coachingKeys)
        let serviceKeys = ServiceSettings().json.objectValue?.map(\.0) ?? []
        XCTAssertEqual(SettingsSchema.service.map(\.key), serviceKeys)
    }
}
