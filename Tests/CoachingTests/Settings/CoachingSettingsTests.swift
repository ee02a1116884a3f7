import XCTest
import JSON
@testable import Coaching

final class CoachingSettingsTests: XCTestCase {
    func testMissingObjectGivesOriginalDefaults() {
        let settings = CoachingSettings(json: nil)
        XCTAssertFalse(settings.enabled)
        XCTAssertEqual(settings.model, "gpt-3.5-turbo")
        XCTAssertEqual(settings.maxAnalysesPerMinute, 10)
        XCTAssertEqual(settings.minMessageLength, 10)
        XCTAssertEqual(settings.cacheSimilarityThreshold, 0.85)
        XCTAssertEqual(settings.enabledHintTypes.count, 7)
    }

    func testAcceptsTheOriginalUISpellingsAndClamps() throws {
        let json = try JSONParser.parse("""
            {"enabled":"1","temperature":"0.7","max_analyses_per_minute":"250000","queue_processing_delay":0,
             "cache_similarity_threshold":0.1,"hint_types":{"objection":"0","question":false},"play_sound":"on"}
            """)
        let settings = CoachingSettings(json: json)
        XCTAssertTrue(settings.enabled)
        XCTAssertEqual(settings.temperature, 0.7)
        XCTAssertEqual(settings.maxAnalysesPerMinute, 100_000)
        XCTAssertEqual(settings.queueProcessingDelay, 0)
        XCTAssertEqual(settings.cacheSimilarityThreshold, 0.5)
        XCTAssertFalse(settings.enabledHintTypes.contains(.objection))
        XCTAssertFalse(settings.enabledHintTypes.contains(.question))
        XCTAssertTrue(settings.playSound)
    }

    func testTemperatureIsReadWithinTheRangeTheSettingsPageAccepts() throws {
        XCTAssertEqual(CoachingSettings(json: try JSONParser.parse(#"{"temperature":1.5}"#)).temperature, 1)
        XCTAssertEqual(CoachingSettings(json: try JSONParser.parse(#"{"temperature":-0.2}"#)).temperature, 0)
    }

    func testPublishedObjectNeverCarriesUnknownKeys() throws {
        let json = try JSONParser.parse(#"{"enabled":true,"openai_api_key":"sk-secret"}"#)
        let text = JSONWriter.string(CoachingSettings(json: json).json)
        XCTAssertFalse(text.contains("sk-secret"))
        XCTAssertTrue(text.contains(#""enabled":true"#))
    }
}
