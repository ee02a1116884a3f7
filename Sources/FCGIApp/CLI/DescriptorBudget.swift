/// Where one process's open files go. libfcgi closes connections with `select()`, which cannot take
/// a descriptor of 1024 or more, so `coaching serve` keeps its open-file limit at 1024
/// (`FD_SETSIZE`) instead of raising it. Every part that holds descriptors is bounded by
/// configuration, the sum is checked at start, and a configuration that could run out is refused
/// with the parts named, rather than failing later under load.
struct DescriptorBudget: Equatable {
    static let limit = 1024

    struct Part: Equatable {
        let name: String
        let descriptors: Int
    }

    let parts: [Part]

    var total: Int { parts.reduce(0) { $0 + $1.descriptors } }

    /// `serve` with its request threads, FastCGI connections and (optionally) workers; `worker`
    /// passes `serving: false`.
    init(_ configuration: AppConfiguration, serving: Bool) {
        var parts = [Part(name: "reserve (stdio, sockets, epoll, eventfd, files, resolver)", descriptors: 32)]
        if serving {
            parts.append(Part(name: "FastCGI connections from nginx (COACHING_FASTCGI_CONNECTIONS)",
                              descriptors: configuration.fastCGIConnections))
            parts.append(Part(name: "request threads' database connections (COACHING_THREADS)",
                              descriptors: configuration.requestThreads))
            if configuration.replica != nil {
                parts.append(Part(name: "request threads' read-replica connections (COACHING_THREADS)",
                                  descriptors: configuration.requestThreads))
            }
        }
        if configuration.workerThreads > 0 {
            parts.append(Part(name: "worker threads' database and embeddings connections (COACHING_WORKER_THREADS x 2)",
                              descriptors: configuration.workerThreads * 2))
            parts.append(Part(name: "push publisher", descriptors: 1))
            // A settings change replaces the client; the old one's connections close after the new
            // one may have opened its own.
            parts.append(Part(name: "LLM connections (COACHING_LLM_CONNECTIONS x 2 while a client is replaced)",
                              descriptors: configuration.llmConnections * 2))
        }
        self.parts = parts
    }

    struct Exceeded: Error, CustomStringConvertible {
        let budget: DescriptorBudget
        var description: String {
            "these settings may need \(budget.total) open files, more than the \(DescriptorBudget.limit) this process "
                + "can use; lower one of: " + budget.parts.map { "\($0.name) \($0.descriptors)" }.joined(separator: "; ")
        }
    }

    func check() throws(Exceeded) {
        guard total <= Self.limit else { throw Exceeded(budget: self) }
    }
}
