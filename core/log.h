/*
 * log.h - the error log (stderr) and the access log (combined format).
 * Both are safe to call from any thread.
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

/* Open the access log: path, "-" for stderr, NULL to disable. */
int log_access_open(const char *path);
void log_access_close(void);
/* One combined-format line, already formatted without the newline. */
void log_access_line(const char *line, size_t len);

#endif
