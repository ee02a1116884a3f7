import XCTest
import JSON
@testable import Coaching

/// The embeddings and similarity-cache settings: how `ServiceSettings` reads them (clamping or
/// ignoring what is out of range) and how the admin API checks them, the write-only key included.
final class EmbeddingSettingsTests: XCTestCase {
    private func settings(_ text: String) throws -> ServiceSettings {
        ServiceSettings(json: try JSONParser.parse(text))
    }

    private func check(_ text: String, current: SettingsDocuments = SettingsDocuments()) throws -> SettingsChange {
        try SettingsValidation.check(try JSONParser.parse(text), current: current)
    }

    /// The problems an invalid body yields, as field → message.
    private func problems(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: String] {
        do {
            _ = try check(text)
        } catch let error as CoachingError {
            guard case .invalidFields(let found) = error else { XCTFail("unexpected \(error)", file: file, line: line); return [:] }
            return Dictionary(found.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
        }
        XCTFail("expected problems for \(text)", file: file, line: line)
        return [:]
    }

    // MARK: reading

    func testDefaultsAreOffWithTheBundledModel() {
        let defaults = ServiceSettings()
        XCTAssertEqual(defaults.embeddingsBaseURL, "")
        XCTAssertEqual(defaults.embeddingsModel, "multilingual-e5-small")
        XCTAssertEqual(defaults.embeddingsTimeoutMilliseconds, 500)
        XCTAssertTrue(defaults.similarityCache)
        // Stricter than the text-overlap threshold's default (0.85), which embeddings exceed for unrelated messages.
        XCTAssertGreaterThan(defaults.similarityMinCosine, 0.85)
        XCTAssertLessThanOrEqual(defaults.similarityMinCosine, 1)
        XCTAssertFalse(defaults.embeddings.isEnabled)
    }

    func testReadsTheNewKeys() throws {
        let read = try settings("""
            {"embeddings_base_url":" http://127.0.0.1:8090/v1/ ","embeddings_model":"text-embedding-3-small",
             "embeddings_timeout_ms":750,"similarity_cache":false,"similarity_min_cosine":0.9}
            """)
        XCTAssertEqual(read.embeddingsBaseURL, "http://127.0.0.1:8090/v1")
        XCTAssertEqual(read.embeddingsModel, "text-embedding-3-small")
        XCTAssertEqual(read.embeddingsTimeoutMilliseconds, 750)
        XCTAssertFalse(read.similarityCache)
        XCTAssertEqual(read.similarityMinCosine, 0.9)
        let configuration = read.embeddings
        XCTAssertTrue(configuration.isEnabled)
        XCTAssertEqual(configuration.endpointURL, "http://127.0.0.1:8090/v1/embeddings")
        XCTAssertEqual(configuration.model, "text-embedding-3-small")
        XCTAssertEqual(configuration.timeoutMilliseconds, 750)
        XCTAssertEqual(configuration.apiKey, "", "the key never comes from the settings document")
    }

    func testAnEmptyBaseURLTurnsEmbeddingsOff() throws {
        let read = try settings(#"{"embeddings_base_url":""}"#)
        XCTAssertEqual(read.embeddingsBaseURL, "")
        XCTAssertFalse(read.embeddings.isEnabled)
    }

    func testABaseURLThatIsNotHTTPIsIgnored() throws {
        XCTAssertEqual(try settings(#"{"embeddings_base_url":"ftp://x"}"#).embeddingsBaseURL, "")
        XCTAssertEqual(try settings(#"{"embeddings_base_url":"localhost:8090"}"#).embeddingsBaseURL, "")
        XCTAssertEqual(try settings(#"{"embeddings_base_url":42}"#).embeddingsBaseURL, "")
    }

    func testOutOfRangeNumbersAreClamped() throws {
        XCTAssertEqual(try settings(#"{"embeddings_timeout_ms":5}"#).embeddingsTimeoutMilliseconds, 20)
        XCTAssertEqual(try settings(#"{"embeddings_timeout_ms":999999}"#).embeddingsTimeoutMilliseconds, 10_000)
        XCTAssertEqual(try settings(#"{"embeddings_timeout_ms":"300"}"#).embeddingsTimeoutMilliseconds, 300)
        XCTAssertEqual(try settings(#"{"similarity_min_cosine":0.1}"#).similarityMinCosine, 0.5)
        XCTAssertEqual(try settings(#"{"similarity_min_cosine":3}"#).similarityMinCosine, 1)
    }

    func testUnusableValuesKeepTheDefaults() throws {
        let read = try settings(#"{"embeddings_model":"","embeddings_timeout_ms":"soon","similarity_cache":"maybe","similarity_min_cosine":"high"}"#)
        XCTAssertEqual(read.embeddingsModel, "multilingual-e5-small")
        XCTAssertEqual(read.embeddingsTimeoutMilliseconds, 500)
        XCTAssertTrue(read.similarityCache)
        XCTAssertEqual(read.similarityMinCosine, ServiceSettings().similarityMinCosine)
    }

    func testTheNewKeysArePublishedAndReadBack() throws {
        var original = ServiceSettings()
        original.embeddingsBaseURL = "https://api.openai.com/v1"
        original.embeddingsModel = "text-embedding-3-small"
        original.embeddingsTimeoutMilliseconds = 1_200
        original.similarityCache = false
        original.similarityMinCosine = 0.97
        let json = original.json
        XCTAssertEqual(json["embeddings_base_url"]?.stringValue, "https://api.openai.com/v1")
        XCTAssertEqual(json["embeddings_timeout_ms"]?.intValue, 1_200)
        XCTAssertEqual(json["similarity_min_cosine"]?.doubleValue, 0.97)
        XCTAssertEqual(ServiceSettings(json: json), original)
        for key in ["embeddings_base_url", "embeddings_model", "embeddings_timeout_ms", "similarity_cache", "similarity_min_cosine"] {
            XCTAssertTrue(SettingsSchema.service.contains { $0.key == key }, key)
        }
    }

    // MARK: validating

    func testEmbeddingsKeyIsWriteOnlyEmptyKeepsAndClearNeedsItsOwnWord() throws {
        XCTAssertEqual(try check(#"{"embeddings_api_key":""}"#).embeddingsKey, .keep)
        let set = try check(#"{"embeddings_api_key":"  emb-new  "}"#)
        XCTAssertEqual(set.embeddingsKey, .set("emb-new"))
        XCTAssertEqual(set.apiKey, .keep, "the LLM key is untouched")
        XCTAssertEqual(set.changedFields, ["embeddings_api_key"])
        XCTAssertEqual(try check(#"{"clear_embeddings_api_key":true}"#).embeddingsKey, .clear)
        XCTAssertEqual(try check(#"{"clear_embeddings_api_key":false}"#).embeddingsKey, .keep)
        XCTAssertEqual(try check(#"{"clear_embeddings_api_key":true}"#).apiKey, .keep)
    }

    func testSettingAndClearingTheEmbeddingsKeyAtOnceIsAnError() throws {
        XCTAssertEqual(try problems(#"{"embeddings_api_key":"emb-1","clear_embeddings_api_key":true}"#),
                       ["clear_embeddings_api_key": "cannot set a new key and clear the key at once"])
    }

    func testTheTwoKeysAreIndependent() throws {
        let change = try check(#"{"openai_api_key":"sk-1","clear_embeddings_api_key":true}"#)
        XCTAssertEqual(change.apiKey, .set("sk-1"))
        XCTAssertEqual(change.embeddingsKey, .clear)
        let after = SettingsDocuments(apiKeySet: false).applying(change)
        XCTAssertTrue(after.apiKeySet)
        XCTAssertFalse(after.embeddingsKeySet)
        XCTAssertTrue(SettingsDocuments().applying(try check(#"{"embeddings_api_key":"emb-2"}"#)).embeddingsKeySet)
    }

    func testABadEmbeddingsKeyIsRejectedAndNeverEchoed() throws {
        let found = try problems(#"{"embeddings_api_key":"emb with space"}"#)
        XCTAssertEqual(found["embeddings_api_key"], "must not contain spaces or control characters")
        XCTAssertFalse(found.values.joined().contains("emb with space"))
        XCTAssertEqual(try problems(#"{"embeddings_api_key":12}"#)["embeddings_api_key"], "must be a string")
        XCTAssertEqual(try problems(#"{"clear_embeddings_api_key":"perhaps"}"#)["clear_embeddings_api_key"], "must be true or false")
    }

    func testTheAdminViewSaysWhetherAnEmbeddingsKeyIsSetButNeverShowsIt() throws {
        var stored = SettingsDocuments()
        stored.embeddingsKeySet = true
        let text = JSONWriter.string(stored.adminJSON)
        XCTAssertTrue(text.contains(#""embeddings_api_key_set":true"#))
        let after = SettingsDocuments().applying(try check(#"{"embeddings_api_key":"emb-secret"}"#))
        let shown = JSONWriter.string(after.adminJSON)
        XCTAssertTrue(shown.contains(#""embeddings_api_key_set":true"#))
        XCTAssertFalse(shown.contains("emb-secret"))
    }

    func testAnEmptyEmbeddingsBaseURLIsAccepted() throws {
        let change = try check(#"{"service":{"embeddings_base_url":"  "}}"#)
        XCTAssertEqual(JSONValue.object(change.service)["embeddings_base_url"], .string(""))
    }

    func testAnEmbeddingsBaseURLIsNormalised() throws {
        let change = try check(#"{"service":{"embeddings_base_url":" http://embedder:8090/v1/ "}}"#)
        XCTAssertEqual(JSONValue.object(change.service)["embeddings_base_url"], .string("http://embedder:8090/v1"))
    }

    func testAnEmbeddingsBaseURLThatIsNotAURLIsAFieldError() throws {
        let found = try problems(#"{"service":{"embeddings_base_url":"notaurl"}}"#)
        XCTAssertEqual(found, ["service.embeddings_base_url": "must start with http:// or https://"])
        XCTAssertEqual(try problems(#"{"service":{"embeddings_base_url":"http://"}}"#)["service.embeddings_base_url"], "must name a host")
        XCTAssertEqual(try problems(#"{"service":{"embeddings_base_url":5}}"#)["service.embeddings_base_url"], "must be text")
    }

    func testTheOtherEmbeddingFieldsAreRangeChecked() throws {
        let found = try problems("""
            {"service":{"embeddings_timeout_ms":10,"similarity_min_cosine":0.2,"similarity_cache":"sometimes","embeddings_model":""}}
            """)
        XCTAssertEqual(found["service.embeddings_timeout_ms"], "must be between 20 and 10000")
        XCTAssertEqual(found["service.similarity_min_cosine"], "must be between 0.5 and 1")
        XCTAssertEqual(found["service.similarity_cache"], "must be true or false")
        XCTAssertEqual(found["service.embeddings_model"], "must not be empty")
        XCTAssertEqual(found.count, 4)
        let accepted = try check(#"{"service":{"embeddings_timeout_ms":20,"similarity_min_cosine":1,"similarity_cache":false}}"#)
        XCTAssertEqual(accepted.service.count, 3)
    }

    func testLocalAnswersAreOffByDefaultAndTheConfidenceIsClamped() throws {
        XCTAssertEqual(ServiceSettings().localAnswerMinConfidence, 0)
        XCTAssertEqual(try settings(#"{"local_answer_min_confidence":0.8}"#).localAnswerMinConfidence, 0.8)
        XCTAssertEqual(try settings(#"{"local_answer_min_confidence":7}"#).localAnswerMinConfidence, 1)
        XCTAssertEqual(try settings(#"{"local_answer_min_confidence":-1}"#).localAnswerMinConfidence, 0)
        XCTAssertEqual(try settings(#"{"local_answer_min_confidence":"sure"}"#).localAnswerMinConfidence, 0)
        XCTAssertEqual(try problems(#"{"service":{"local_answer_min_confidence":1.5}}"#)["service.local_answer_min_confidence"],
                       "must be between 0 and 1")
        var original = ServiceSettings()
        original.localAnswerMinConfidence = 0.85
        XCTAssertEqual(ServiceSettings(json: original.json).localAnswerMinConfidence, 0.85)
    }

    func testTheSchemaMarksTheEmbeddingsURLOptional() {
        let field = SettingsSchema.json["service"]?.arrayValue?.first { $0["key"]?.stringValue == "embeddings_base_url" }
        XCTAssertEqual(field?["type"]?.stringValue, "url")
        XCTAssertEqual(field?["optional"]?.boolValue, true)
        let llmURL = SettingsSchema.json["service"]?.arrayValue?.first { $0["key"]?.stringValue == "base_url" }
        XCTAssertNil(llmURL?["optional"])
    }
}
