/*
 * neptun/http.h - the request and reply as route handlers see them.
 *
 * Both are opaque; a plugin reads and writes them through the neptun_host
 * table (req_* and reply_* members).  Both are valid until the reply is sent.
 */
#ifndef NEPTUN_HTTP_H
#define NEPTUN_HTTP_H

#include <neptun/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct neptun_req;
struct neptun_reply;

/*
 * A route handler.  Return NEPTUN_OK after filling the reply,
 * NEPTUN_NOT_FOUND for a 404, NEPTUN_DECLINED to let later routes try, or
 * NEPTUN_ERROR for a 500.  Called on a worker thread: handlers must not keep
 * unlocked global mutable state.
 */
typedef int (*neptun_route_fn)(void *ud, struct neptun_req *req, struct neptun_reply *reply);

#ifdef __cplusplus
}
#endif

#endif /* NEPTUN_HTTP_H */
