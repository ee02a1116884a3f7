import Foundation
import Metrics
import Prometheus

/// The process's metrics registry. swift-metrics is bootstrapped once with a Prometheus factory on
/// this registry, so the domain's counters (`PipelineMetrics`) and the per-route request metrics
/// recorded here all appear at `/coaching/metrics`. Handles are kept per (route, method, status):
/// recording a request costs a dictionary look-up under a lock and two atomic updates.
final class ServiceMetrics: @unchecked Sendable {
    let registry: PrometheusCollectorRegistry
    private struct RouteKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let lock = NSLock()
    private var routes: [RouteKey: (requests: Metrics.Counter, duration: Metrics.Timer)] = [:]

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Registers the Prometheus backend for this process; call once, before any thread starts.
    static func bootstrap() -> ServiceMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
        return ServiceMetrics(registry: registry)
    }

    /// One answered request. `route` is the routing table's pattern (never the raw path, so ids do
    /// not multiply the series).
    func recordRequest(route: String, method: String, status: Int, nanoseconds: Int64) {
        let key = RouteKey(route: route, method: method, status: status)
        lock.lock()
        let handles: (requests: Metrics.Counter, duration: Metrics.Timer)
        if let existing = routes[key] {
            handles = existing
        } else {
            let dimensions = [("route", route), ("method", method)]
            handles = (Metrics.Counter(label: "coaching_http_requests_total", dimensions: dimensions + [("status", String(status))]),
                       Metrics.Timer(label: "coaching_http_request_duration_seconds", dimensions: dimensions))
            routes[key] = handles
        }
        lock.unlock()
        handles.requests.increment()
        handles.duration.recordNanoseconds(nanoseconds)
    }

    /// Sets a gauge read at scrape time (queue depth, live workers…).
    func set(_ name: String, _ value: Double, dimensions: [(String, String)] = []) {
        Metrics.Gauge(label: name, dimensions: dimensions).record(value)
    }

    func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
