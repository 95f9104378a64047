/*
 * minimal_evhttp.c - the fastest answer an evhttp server gives on this machine.
 *
 *   minimal_evhttp FILE PORT CONTENT-TYPE [THREADS]
 *
 * Serves FILE's bytes, read into memory once at start, on 127.0.0.1:PORT for
 * every request, with Content-Type and nothing else but what evhttp adds
 * itself.  There is no cache lookup, no routing and no header beyond that,
 * so its rate is the ceiling an evhttp-based server reaches here: in the
 * benchmark table it shows how much of neptun's gap to nginx is evhttp's
 * own per-request cost, and how much is neptun's.
 *
 * It is set up the way neptun's workers are (THREADS threads, default 2,
 * each with its own event_base and evhttp on its own SO_REUSEPORT socket,
 * TCP_NODELAY, 256 KB single writes, the epoll changelist), so that what
 * the two differ in is the work per request.  The body is added by
 * reference, never copied.  It runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#define THREADS_DEFAULT 2
#define THREADS_MAX 64
#define LISTEN_BACKLOG 1024
#define MAX_SINGLE_WRITE (256 * 1024)
#define USAGE "usage: minimal_evhttp FILE PORT CONTENT-TYPE [THREADS]\n"

/* What every request is answered with; read-only once the threads start. */
struct reply {
    const char *body;
    size_t len;
    const char *content_type;
};

struct worker {
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
};

/* ---- the reply ------------------------------------------------------------------- */

static int read_file(const char *path, char **body, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int fd, ret = -1;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "minimal_evhttp: %s: %s\n", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "minimal_evhttp: %s: not a regular file\n", path);
        goto out;
    }
    /* one byte more so that an empty file still gets a buffer */
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
        fprintf(stderr, "minimal_evhttp: %s: out of memory\n", path);
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "minimal_evhttp: %s: %s\n", path,
                    n < 0 ? strerror(errno) : "file shrank while being read");
            goto out;
        }
        got += (size_t)n;
    }
    *body = buf;
    *len = got;
    buf = NULL;
    ret = 0;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return ret;
}

static void serve(struct evhttp_request *req, void *arg)
{
    const struct reply *r = arg;

    if (evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                          r->content_type) != 0 ||
        evbuffer_add_reference(evhttp_request_get_output_buffer(req), r->body, r->len,
                               NULL, NULL) != 0) {
        fprintf(stderr, "minimal_evhttp: cannot build the reply\n");
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* Called by evhttp for every accepted connection: libevent writes 16 KB per
 * loop pass by default, far too little for a feed of tens of KB. */
static struct bufferevent *make_bufferevent(struct event_base *base, void *arg)
{
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

    if (bev == NULL) {
        fprintf(stderr, "minimal_evhttp: cannot create a bufferevent\n");
        return NULL;
    }
    if (bufferevent_set_max_single_write(bev, MAX_SINGLE_WRITE) != 0) {
        fprintf(stderr, "minimal_evhttp: cannot set the single write size\n");
        bufferevent_free(bev);
        return NULL;
    }
    return bev;
}

/* ---- workers --------------------------------------------------------------------- */

/* A non-blocking listening socket on 127.0.0.1:port; every worker binds its
 * own and the kernel spreads connections between them (SO_REUSEPORT).
 * Accepted sockets inherit TCP_NODELAY from it on Linux. */
static evutil_socket_t listen_on(int port)
{
    struct sockaddr_in sin;
    evutil_socket_t fd;
    int one = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        fprintf(stderr, "minimal_evhttp: listen 127.0.0.1:%d: %s\n", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* With the epoll changelist the read/write interest evhttp flips around
 * every reply costs one epoll_ctl per change of direction, as in neptun. */
static struct event_base *base_new(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base = NULL;

    if (cfg != NULL && event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
        base = event_base_new_with_config(cfg);
    if (cfg != NULL)
        event_config_free(cfg);
    return base != NULL ? base : event_base_new();
}

static int worker_setup(struct worker *w, int port, struct reply *r)
{
    evutil_socket_t fd;

    if ((w->base = base_new()) == NULL || (w->http = evhttp_new(w->base)) == NULL) {
        fprintf(stderr, "minimal_evhttp: cannot create an event base or evhttp\n");
        return -1;
    }
    evhttp_set_bevcb(w->http, make_bufferevent, NULL);
    evhttp_set_gencb(w->http, serve, r);
    if ((fd = listen_on(port)) < 0)
        return -1;
    if (evhttp_accept_socket_with_handle(w->http, fd) == NULL) {
        fprintf(stderr, "minimal_evhttp: evhttp refused the socket on port %d\n", port);
        close(fd);
        return -1;
    }
    return 0;
}

/* A loop runs until the process is killed.  One that ends anyway stops the
 * whole server: the other threads alone would give half a figure. */
static void *worker_run(void *arg)
{
    struct worker *w = arg;

    int rc = event_base_dispatch(w->base);
    fprintf(stderr, "minimal_evhttp: an event loop %s\n", rc < 0 ? "failed" : "ended");
    exit(1);
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    struct worker *workers = NULL;
    struct reply r = { NULL, 0, NULL };
    char *body = NULL;
    int port, nthreads = THREADS_DEFAULT;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, USAGE);
        return 2;
    }
    if (parse_int(argv[2], 1, 65535, &port) != 0) {
        fprintf(stderr, "minimal_evhttp: PORT must be 1..65535, not '%s'\n" USAGE, argv[2]);
        return 2;
    }
    if (argv[3][0] == '\0' || strpbrk(argv[3], "\r\n") != NULL) {
        fprintf(stderr, "minimal_evhttp: CONTENT-TYPE must be one non-empty line\n" USAGE);
        return 2;
    }
    if (argc == 5 && parse_int(argv[4], 1, THREADS_MAX, &nthreads) != 0) {
        fprintf(stderr, "minimal_evhttp: THREADS must be 1..%d, not '%s'\n" USAGE, THREADS_MAX,
                argv[4]);
        return 2;
    }
    /* a client closing mid-reply must not end the server */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "minimal_evhttp: cannot ignore SIGPIPE: %s\n", strerror(errno));
        return 1;
    }
    if (read_file(argv[1], &body, &r.len) != 0)
        return 1;
    r.body = body;
    r.content_type = argv[3];

    /* Everything is set up here, before any thread starts: each event base
     * is then used by its own thread alone, so libevent needs no locking. */
    if ((workers = calloc((size_t)nthreads, sizeof(*workers))) == NULL) {
        fprintf(stderr, "minimal_evhttp: out of memory\n");
        goto out;
    }
    for (int i = 0; i < nthreads; i++)
        if (worker_setup(&workers[i], port, &r) != 0)
            goto out;
    for (int i = 0; i < nthreads; i++) {
        int err = pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]);
        if (err != 0) {
            /* the threads already running use their bases: nothing can be freed */
            fprintf(stderr, "minimal_evhttp: cannot start a thread: %s\n", strerror(err));
            exit(1);
        }
    }
    fprintf(stderr, "minimal_evhttp: %s (%zu bytes) on 127.0.0.1:%d, %d threads\n", argv[1],
            r.len, port, nthreads);
    /* never returns: a loop that ends ends the process (worker_run()) */
    for (int i = 0; i < nthreads; i++) {
        int err = pthread_join(workers[i].thread, NULL);
        if (err != 0) {
            fprintf(stderr, "minimal_evhttp: cannot wait for a thread: %s\n", strerror(err));
            exit(1);
        }
    }
out:
    for (int i = 0; workers != NULL && i < nthreads; i++) {
        if (workers[i].http != NULL)
            evhttp_free(workers[i].http);
        if (workers[i].base != NULL)
            event_base_free(workers[i].base);
    }
    free(workers);
    free(body);
    return 1;
}
