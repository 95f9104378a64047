/*
 * fuzz_query.c - the decoding of request targets: query strings, paths,
 * and routing of the decoded path.  Input: "PATH?QUERY" as received.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "http.h"

static struct conf fuzz_conf;

static int answer(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    /* Touch every parameter: they must be NUL-terminated pool strings. */
    size_t total = 0;
    for (size_t i = 0; i < req->nparams; i++)
        total += strlen(req->params[i].value);
    reply->status = total > 0 ? 200 : 204;
    return NEPTUN_OK;
}

static int decline(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    return NEPTUN_DECLINED;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static char pl[] = "pl", en[] = "en", de[] = "de";
    fuzz_conf.langs[0].code = pl;
    fuzz_conf.langs[1].code = en;
    fuzz_conf.langs[2].code = de;
    fuzz_conf.nlangs = 3;
    neptun_conf = &fuzz_conf;
    router_add("GET", "/", answer, NULL, "fuzz");
    router_add("GET", "/{lang}/{type}.rss", answer, NULL, "fuzz");
    router_add("GET", "/{lang}/{type}", decline, NULL, "fuzz");
    router_add("GET", "/{lang}/{type}", answer, NULL, "fuzz");
    router_add("GET", "/{lang}/{type}/{slug}.ics", answer, NULL, "fuzz");
    router_add("GET", "/{lang}/{type}/{slug}", answer, NULL, "fuzz");
    router_add("PUT", "/admin/{type}/{slug}", answer, NULL, "fuzz");
    router_add("GET", "/{first}", decline, NULL, "fuzz");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct neptun_pool *pool = neptun_pool_new(0);
    char *target = malloc(size + 1);
    if (pool == NULL || target == NULL)
        goto out;
    memcpy(target, data, size);
    target[size] = '\0';

    char *q = strchr(target, '?');
    size_t plen = q != NULL ? (size_t)(q - target) : strlen(target);
    struct neptun_req req;
    struct neptun_reply reply;
    memset(&req, 0, sizeof(req));
    memset(&reply, 0, sizeof(reply));
    req.pool = pool;
    req.method = size > 0 && (data[0] & 1) ? REQ_PUT : REQ_GET;

    if (router_parse_query(pool, q != NULL ? q + 1 : NULL, &req.query, &req.nquery) == NEPTUN_OK) {
        for (size_t i = 0; i < req.nquery; i++) {
            if (strlen(req.query[i].name) > size || strlen(req.query[i].value) > size)
                abort(); /* decoding never grows the text */
        }
        (void)req_query(&req, "q");
    }
    if (router_decode_path(pool, target, plen, &req.path) == NEPTUN_OK) {
        if (strlen(req.path) > plen)
            abort();
        const char *allow = NULL;
        (void)router_dispatch(&req, &reply, &allow);
        (void)req_param(&req, "slug");
    }
out:
    free(target);
    neptun_pool_free(pool);
    return 0;
}
