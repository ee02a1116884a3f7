import CFastCGI
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One request thread. All threads wait on one shared epoll set holding the listening socket, the
/// stop eventfd and every open connection from nginx; connections and the listening socket are
/// one-shot, so each readiness goes to exactly one thread. A ready connection is handed to
/// libfcgi, which reads one request from it; after the answer the connection is re-armed when nginx
/// keeps it open (libfcgi closes it otherwise, which also drops it from the set).
///
/// Because no connection belongs to a thread, a request that waits on the database delays only
/// itself, and any number of kept-alive connections is served by a fixed number of threads.
final class ConnectionLoop: @unchecked Sendable {
    private let epollFD: Int32
    private let listenFD: Int32
    private let wakeFD: Int32
    private let connections: ConnectionCount
    private let exchange: FastCGIExchange
    private let context: RequestContext
    private let logger: Logger

    init(epollFD: Int32, listenFD: Int32, wakeFD: Int32, connections: ConnectionCount, exchange: FastCGIExchange,
         context: RequestContext, logger: Logger) {
        self.epollFD = epollFD
        self.listenFD = listenFD
        self.wakeFD = wakeFD
        self.connections = connections
        self.exchange = exchange
        self.context = context
        self.logger = logger
    }

    func run() {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        // No listening socket of its own: libfcgi only ever reads connections handed to it.
        FCGX_InitRequest(request, -1, 0)
        defer { FCGX_Free(request, 0) }

        var ready = [Int32](repeating: -1, count: 8)
        var draining = false
        while true {
            // One event at a time while serving, so no ready request waits behind another thread's
            // work; a batch and no waiting once stopping, to answer what is already there and leave.
            let count = ready.withUnsafeMutableBufferPointer {
                coaching_epoll_wait(epollFD, $0.baseAddress, draining ? Int32($0.count) : 1, draining ? 0 : -1)
            }
            if count < 0 {
                logger.critical("epoll_wait failed", metadata: ["errno": "\(errno)"])
                return
            }
            var servedConnection = false
            for fd in ready[0..<Int(count)] {
                if fd == wakeFD {
                    draining = true
                } else if fd == listenFD {
                    if !draining { acceptPending() }
                } else {
                    serve(fd, with: request)
                    servedConnection = true
                }
            }
            if draining && !servedConnection { return }
        }
    }

    private func acceptPending() {
        defer { _ = coaching_epoll_rearm(epollFD, listenFD) }
        for _ in 0..<64 {
            // At the budget's limit, further connections wait in the backlog until one closes; the
            // listening socket stays readable meanwhile, so pause instead of spinning on it.
            guard connections.open() else {
                usleep(10_000)
                return
            }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                connections.closed()
                // Out of descriptors (the limit ServeCommand sets): leave the connection waiting in
                // the backlog a moment instead of spinning on a listening socket that stays readable.
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                return
            }
            if coaching_epoll_watch(epollFD, fd, 1) != 0 {
                close(fd)
                connections.closed()
            }
        }
    }

    private func serve(_ fd: Int32, with request: UnsafeMutablePointer<FCGX_Request>) {
        coaching_fcgx_adopt(request, fd)
        guard FCGX_Accept_r(request) >= 0 else {
            // The peer closed the connection (or broke the protocol); libfcgi has closed it.
            _ = coaching_fcgx_release(request)
            connections.closed()
            return
        }
        exchange.answer(request, context: context)
        FCGX_Finish_r(request)
        if coaching_fcgx_release(request) >= 0 { _ = coaching_epoll_rearm(epollFD, fd) } else { connections.closed() }
    }
}
