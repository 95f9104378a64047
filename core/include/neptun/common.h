/*
 * neptun/common.h - result codes and small definitions shared by the host
 * and plugins.  Part of the public plugin SDK.
 */
#ifndef NEPTUN_COMMON_H
#define NEPTUN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Integer results: NEPTUN_OK, or a negative code.  Never 1-for-success. */
#define NEPTUN_OK 0
#define NEPTUN_ERROR (-1)     /* generic failure, already logged */
#define NEPTUN_DECLINED (-2)  /* "not mine": pass the request on */
#define NEPTUN_NOT_FOUND (-3) /* no such item, type, route or key */
#define NEPTUN_INVALID (-4)   /* input rejected; details reported elsewhere */
#define NEPTUN_NOMEM (-5)     /* allocation failed */

/* Log levels for neptun_host.log(). */
enum neptun_log_level {
    NEPTUN_LOG_DEBUG = 0,
    NEPTUN_LOG_INFO = 1,
    NEPTUN_LOG_WARN = 2,
    NEPTUN_LOG_ERROR = 3
};

#if defined(__GNUC__)
#define NEPTUN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define NEPTUN_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
}
#endif

#endif /* NEPTUN_COMMON_H */
