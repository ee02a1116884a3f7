#include <fcgiapp.h>
#include <fcgios.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/select.h>

/*
 * libfcgi keeps the connection of a request in FCGX_Request.ipcFd. Handing it a connection that an
 * epoll loop found readable (and taking it back after the request, when the web server asked to
 * keep it open) lets a few threads serve many kept-alive connections; FCGX_Accept_r reads from an
 * adopted connection instead of calling accept().
 */
static inline void coaching_fcgx_adopt(FCGX_Request *request, int fd) {
    request->ipcFd = fd;
    /* The FCGX_Finish_r inside FCGX_Accept_r must not close the connection just adopted. */
    request->keepConnection = 1;
}

/* The connection still open after FCGX_Finish_r (the web server asked to keep it), or -1. */
static inline int coaching_fcgx_release(FCGX_Request *request) {
    int fd = request->ipcFd;
    request->ipcFd = -1;
    return fd;
}

/*
 * Read interest in the epoll set all request threads share. A one-shot descriptor is reported to a
 * single thread and stays quiet until that thread re-arms it, so a connection is never read by two
 * threads at once; the others are level-triggered.
 */
static inline int coaching_epoll_watch(int epoll_fd, int fd, int one_shot) {
    struct epoll_event event;
    event.events = EPOLLIN | (one_shot ? EPOLLONESHOT : 0);
    event.data.fd = fd;
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

static inline int coaching_epoll_rearm(int epoll_fd, int fd) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.fd = fd;
    return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
}

/* Waits for readiness; writes up to `capacity` ready descriptors to `fds`. Retries on EINTR. */
static inline int coaching_epoll_wait(int epoll_fd, int *fds, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int count;
    do {
        count = epoll_wait(epoll_fd, events, capacity, timeout_ms);
    } while (count < 0 && errno == EINTR);
    for (int index = 0; index < count; index++) fds[index] = events[index].data.fd;
    return count;
}

/*
 * libfcgi closes a connection with shutdown() and a select() on it (OS_Close), and FD_SET on a
 * descriptor of FD_SETSIZE or more writes past the fd_set. Keeping the soft limit of open
 * descriptors at FD_SETSIZE makes such a descriptor impossible: accept() fails with EMFILE instead.
 * Returns the limit in force.
 */
static inline long coaching_limit_descriptors_to_fd_setsize(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > FD_SETSIZE) {
        limit.rlim_cur = FD_SETSIZE;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    }
    return (long)limit.rlim_cur;
}

/* A descriptor that turns readable, for every epoll set watching it, once coaching_wake is called. */
static inline int coaching_wake_fd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static inline void coaching_wake(int fd) {
    eventfd_write(fd, 1);
}
