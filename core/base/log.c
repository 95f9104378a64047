/*
 * log.c - the error log on stderr and the access log.  Each line is
 * written with one write(2) call so lines from several workers never
 * interleave; no lock is needed on the hot path.
 *
 * A log line is one record: whatever goes into a message (a path a client
 * sent, a header, a Lua error) has its control bytes written as \xNN here,
 * in the writer, so no caller can forget it and no client can start a
 * line of its own (a forged "[info] admin: deleted ..." after a newline).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include "log.h"

static atomic_int log_level = NEPTUN_LOG_INFO;
static atomic_int access_fd = -1;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(int level)
{
    atomic_store(&log_level, level);
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report it */
        }
        buf += n;
        len -= (size_t)n;
    }
}

size_t log_escape(char *dst, size_t cap, const char *s, size_t len, const char *also)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ctl = c < 0x20 || c == 0x7f;
        bool quoted = c != 0 && also != NULL && strchr(also, c) != NULL;
        size_t need = ctl ? 4 : quoted ? 2 : 1;
        if (o + need >= cap)
            break;
        if (ctl) {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        } else {
            if (quoted)
                dst[o++] = '\\';
            dst[o++] = (char)c;
        }
    }
    dst[o] = '\0';
    return o;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level < atomic_load(&log_level))
        return;
    if (level < NEPTUN_LOG_DEBUG || level > NEPTUN_LOG_ERROR)
        level = NEPTUN_LOG_ERROR;
    char msg[2048], buf[4096];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level]);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t mlen = (size_t)m < sizeof(msg) ? (size_t)m : sizeof(msg) - 1;
    size_t len = (size_t)n + log_escape(buf + n, sizeof(buf) - (size_t)n - 1, msg, mlen, NULL);
    buf[len++] = '\n';
    write_all(STDERR_FILENO, buf, len);
}

int log_access_open(const char *path)
{
    int fd;
    if (path == NULL)
        fd = -1;
    else if (strcmp(path, "-") == 0)
        fd = dup(STDERR_FILENO);
    else
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (path != NULL && fd < 0) {
        log_error("cannot open access log %s: %s", path, strerror(errno));
        return -1;
    }
    int old = atomic_exchange(&access_fd, fd);
    if (old >= 0)
        close(old);
    return 0;
}

void log_access_close(void)
{
    int old = atomic_exchange(&access_fd, -1);
    if (old >= 0)
        close(old);
}

void log_access_line(const char *line, size_t len)
{
    int fd = atomic_load(&access_fd);
    if (fd < 0)
        return;
    char buf[8192];
    /* The caller escaped its fields; this only makes sure of one line. */
    len = log_escape(buf, sizeof(buf) - 1, line, len, NULL);
    buf[len++] = '\n';
    write_all(fd, buf, len);
}
