import CFastCGI
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The FastCGI side of the process: one listening unix socket and a fixed set of request threads,
/// each running a `ConnectionLoop` with its own `FCGX_Request` and `RequestContext`, all waiting on
/// one shared epoll set.
///
/// nginx keeps its FastCGI connections open (`fastcgi_keep_conn on`), which saves a connect,
/// accept and close per request. A thread is therefore not tied to a connection: it takes whichever
/// connection has a request, lets libfcgi read it, answers, and goes back to waiting.
///
/// Shutdown: `stop()` shuts the listening socket (no new connections) and signals an eventfd every
/// loop watches; each loop answers the requests already waiting and returns. `wait()` returns once
/// every thread has left its loop; the kept connections close when the process exits.
final class FastCGIServer: @unchecked Sendable {
    private let socketPath: String
    private let threadCount: Int
    private let connections: ConnectionCount
    private let exchange: FastCGIExchange
    private let makeContext: @Sendable () -> RequestContext
    private let logger: Logger
    private var listenFD: Int32 = -1
    private var wakeFD: Int32 = -1
    private var epollFD: Int32 = -1
    private let stopping = ManagedAtomicFlag()
    private let finished = DispatchGroup()

    init(socketPath: String, threadCount: Int, maxConnections: Int = 384, bodyLimit: Int, router: Router, metrics: ServiceMetrics? = nil,
         logger: Logger, makeContext: @escaping @Sendable () -> RequestContext) {
        self.socketPath = socketPath
        self.threadCount = threadCount
        connections = ConnectionCount(limit: maxConnections)
        self.exchange = FastCGIExchange(router: router, bodyLimit: bodyLimit, logger: logger, metrics: metrics)
        self.logger = logger
        self.makeContext = makeContext
    }

    func start() throws {
        guard FCGX_Init() == 0 else { throw ServerError("FCGX_Init failed") }
        let descriptors = coaching_limit_descriptors_to_fd_setsize()
        guard descriptors > 0 else { throw ServerError("could not limit open files to FD_SETSIZE (errno \(errno))") }
        unlink(socketPath)
        let fd = FCGX_OpenSocket(socketPath, 1024)
        guard fd >= 0 else { throw ServerError("cannot listen on \(socketPath)") }
        // Only the web server (same user or group) may connect; the socket is the whole API.
        chmod(socketPath, 0o660)
        if let group = getgrnam("www-data") { _ = chown(socketPath, getuid(), group.pointee.gr_gid) }
        // Accepted in bursts until EAGAIN by whichever loop the one-shot readiness went to.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        listenFD = fd
        wakeFD = coaching_wake_fd()
        guard wakeFD >= 0 else { throw ServerError("eventfd failed: errno \(errno)") }
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0, coaching_epoll_watch(epollFD, listenFD, 1) == 0,
              coaching_epoll_watch(epollFD, wakeFD, 0) == 0 else {
            throw ServerError("epoll setup failed: errno \(errno)")
        }
        for index in 0..<threadCount {
            let loop = ConnectionLoop(epollFD: epollFD, listenFD: listenFD, wakeFD: wakeFD, connections: connections,
                                      exchange: exchange,
                                      context: makeContext(), logger: logger)
            finished.enter()
            let thread = Thread { [self] in
                loop.run()
                self.finished.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        logger.info("listening", metadata: ["socket": "\(socketPath)", "threads": "\(threadCount)"])
    }

    func stop() {
        guard stopping.setIfUnset() else { return }
        if listenFD >= 0 { shutdown(listenFD, Int32(SHUT_RDWR)) }
        if wakeFD >= 0 { coaching_wake(wakeFD) }
    }

    func wait() {
        finished.wait()
        if listenFD >= 0 { close(listenFD) }
        if wakeFD >= 0 { close(wakeFD) }
        if epollFD >= 0 { close(epollFD) }
        unlink(socketPath)
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A set-once flag shared between the signal-handling thread and the request threads.
final class ManagedAtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Sets the flag; returns false if it was already set.
    func setIfUnset() -> Bool {
        value.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
