/*
 * log.h - the error log (stderr) and the access log (combined format).
 * Both are safe to call from any thread.  Every line is escaped on its
 * way out (control bytes as \xNN): one call, one line, whatever a client
 * managed to put into the arguments.
 */
#ifndef NEPTUN_LOG_H
#define NEPTUN_LOG_H

#include <neptun/common.h>

void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) NEPTUN_PRINTF(2, 3);
#define log_debug(...) log_msg(NEPTUN_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(NEPTUN_LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(NEPTUN_LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(NEPTUN_LOG_ERROR, __VA_ARGS__)

/* Copy len bytes of s into dst (at most cap-1 bytes, NUL-terminated),
 * control bytes as \xNN and the bytes in also (may be NULL) behind a
 * backslash.  Returns the length written.  log_msg and log_access_line
 * apply it to every line; callers use it for fields (quoted ones). */
size_t log_escape(char *dst, size_t cap, const char *s, size_t len, const char *also);

/* Open the access log: path, "-" for stderr, NULL to disable. */
int log_access_open(const char *path);
void log_access_close(void);
/* One combined-format line, already formatted without the newline. */
void log_access_line(const char *line, size_t len);

#endif
