/*
 * neptun/plugin.h - the plugin ABI.
 *
 * A plugin is a shared object that exports one symbol, `neptun_plugin`, a
 * struct neptun_plugin filled with NEPTUN_PLUGIN_HEADER:
 *
 *   static int hello_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host,
 *                         void **data);
 *   NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
 *       NEPTUN_PLUGIN_HEADER,
 *       .name = "hello", .version = "1.0.0", .init = hello_init,
 *   };
 *
 * The host dlopen()s it (RTLD_NOW | RTLD_LOCAL), refuses it when abi_major
 * differs from its own, and calls init once with a table of host functions.
 * Plugins link against nothing of the host: every host service is a member
 * of struct neptun_host.  Registrations are allowed only inside init; if init
 * fails, the host undoes them and closes the library.
 *
 * examples/hello/hello.c is a complete minimal plugin; docs/plugins.md
 * walks through a larger one.  Of the descriptor, init is required and
 * fini may be NULL; of a type, name, element and schema_rng are required
 * and every callback (validate, index, render_*) may be NULL.
 *
 * ABI policy: within one major version structs only grow at the end, and
 * each carries its size in struct_size, so a plugin can test whether the
 * host offers a member with NEPTUN_HOST_HAS(host, member).
 */
#ifndef NEPTUN_PLUGIN_H
#define NEPTUN_PLUGIN_H

#include <stdarg.h>
#include <neptun/common.h>
#include <neptun/pool.h>
#include <neptun/item.h>
#include <neptun/xml.h>
#include <neptun/http.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NEPTUN_ABI_MAJOR 1
#define NEPTUN_ABI_MINOR 2

#if defined(__GNUC__)
#define NEPTUN_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define NEPTUN_PLUGIN_EXPORT
#endif

struct neptun_plugin_ctx; /* the host's record of one loading plugin */
struct neptun_errors;     /* a list of validation problems */
struct neptun_ics;        /* one VEVENT being written */
struct neptun_host;

/* ---- the descriptor a plugin exports ---------------------------------- */

struct neptun_plugin {
    uint32_t abi_major;  /* NEPTUN_ABI_MAJOR the plugin was built for */
    uint32_t abi_minor;
    size_t struct_size;  /* sizeof(struct neptun_plugin) at build time */
    const char *name;    /* unique, [a-z0-9_-] */
    const char *version; /* the plugin's own version */
    const char *description;
    /* Register types, routes and Lua functions.  *data may be set to the
     * plugin's own state, handed back to fini.  NEPTUN_OK or an error. */
    int (*init)(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data);
    /* Release what init made.  May be NULL. */
    void (*fini)(void *data);
};

#define NEPTUN_PLUGIN_HEADER \
    .abi_major = NEPTUN_ABI_MAJOR, .abi_minor = NEPTUN_ABI_MINOR, \
    .struct_size = sizeof(struct neptun_plugin)

#define NEPTUN_PLUGIN_SYMBOL "neptun_plugin"

/* ---- content types ---------------------------------------------------- */

/* Items of a DATED type have a start and an end: lists accept from/to/
 * upcoming, and the type has iCalendar answers ordered by start. */
#define NEPTUN_TYPE_DATED (1u << 0)

/* What index() derives from the fields, stored beside the item. */
struct neptun_index {
    int64_t starts_at;       /* dated types: first session start (UTC) */
    int64_t ends_at;         /* dated types: last session end (UTC) */
    const char *search_text; /* extra text to make searchable (venues,
                              * names), any language; pool-owned or static */
};

/* What a renderer hands a type's render callbacks. */
struct neptun_render_ctx {
    size_t struct_size;
    struct neptun_pool *pool;       /* valid until the reply */
    const struct neptun_item *item; /* borrowed */
    const xmlNode *fields;          /* the type's root element, or NULL */
    const char *lang;               /* language of the answer */
    const char *const *fallback;    /* NULL-terminated: lang, then its
                                     * configured fallback chain */
    const char *base_url;           /* "http://127.0.0.1:8080", no '/' */
    const char *timezone;           /* "Europe/Warsaw" */
    /* ---- appended to 1.2: read only when struct_size covers it ---- */
    /* In render_ics of a type with ics_sessions: which session's VEVENT is
     * being written, 1 for the first; 0 when the item has one VEVENT. */
    size_t session;
};

/* A span of time, UTC seconds; end may equal start (a moment). */
struct neptun_span {
    int64_t start;
    int64_t end;
};

struct neptun_type {
    size_t struct_size; /* sizeof(struct neptun_type) */
    const char *name;   /* URL segment and store key, e.g. "events" */
    const char *element;/* root element of the fields, e.g. "event" */
    unsigned flags;     /* NEPTUN_TYPE_* */

    /* RELAX NG (XML syntax) grammar text whose <define>s are merged into
     * /schema/neptun.rng.  It must define "fields.<name>" (the element the
     * type reads in item documents) and "render.<name>" (the element its
     * render_xml writes into an API <entry>).  Elements are in the neptun
     * namespace: give the <grammar> ns="urn:neptun:1".  Borrowed for the
     * plugin's lifetime. */
    const char *schema_rng;

    /* Check the fields beyond the schema (dates in order, URLs absolute...).
     * Report each problem with host->error_add(errs, path, ...), where path
     * is the element path such as "/item/event/session[2]/@end".  Return
     * NEPTUN_OK or NEPTUN_INVALID. */
    int (*validate)(void *ud, const xmlNode *fields, struct neptun_errors *errs);

    /* Derive the indexed values.  out is zeroed by the host. */
    int (*index)(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                 struct neptun_index *out);

    /* Write the render.<name> element of an API <entry>, in rc->lang; an
     * element whose text comes from a fallback language must carry xml:lang. */
    int (*render_xml)(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);

    /* Write XHTML (in the XHTML namespace) that shows the fields to a human
     * in rc->lang: dates in the language's forms, venues, speakers.  The
     * host puts it after the body in RSS descriptions and Atom content. */
    int (*render_xhtml)(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);

    /* Add properties (LOCATION, ORGANIZER, ...) to the item's VEVENT; the
     * host already wrote UID, DTSTAMP, DTSTART, DTEND, SUMMARY, URL. */
    int (*render_ics)(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics);

    void *ud; /* handed back to every callback */

    /* ---- appended to 1.2 (an older host copies struct_size bytes and
     * so never calls it: the item keeps one VEVENT) ---- */

    /* iCalendar sessions: put the item's sessions in order into out (at
     * most max) and return how many, or a negative error.  With two or
     * more, the item's calendar has one VEVENT per session, all of the
     * item's UID: the first session's VEVENT lists the others' starts in
     * RDATE, and each further one carries RECURRENCE-ID (its start) and its
     * own DTSTART/DTEND.  The host calls render_ics once per VEVENT with
     * rc->session set (1 for the first).  May be NULL: one VEVENT from the
     * indexed start and end, rc->session 0. */
    int (*ics_sessions)(void *ud, const struct neptun_render_ctx *rc, struct neptun_span *out,
                        size_t max);
};

/* A function callable from Lua as neptun.<plugin>.<name>(...).  Arguments
 * arrive converted to strings; *result (pool-owned or static, may be NULL
 * for nil) is returned to Lua as a string.  NEPTUN_OK or an error, which
 * raises a Lua error. */
typedef int (*neptun_lua_fn)(void *ud, struct neptun_pool *pool, int argc,
                             const char *const *argv, const char **result);

/* Date formatting flags for neptun_host.format_range. */
#define NEPTUN_FMT_DATE (1u << 0) /* "29–30 czerwca 2017" */
#define NEPTUN_FMT_TIME (1u << 1) /* "11:30–16:00" */

/* ---- the host table --------------------------------------------------- */

struct neptun_host {
    uint32_t abi_major;
    uint32_t abi_minor;
    size_t struct_size;

    /* Registration: only inside init. */
    int (*register_type)(struct neptun_plugin_ctx *ctx, const struct neptun_type *type);
    /* pattern: "/{lang}/projects/{slug}/map"; {name} matches one segment,
     * {lang} only a configured language.  method: "GET" (HEAD implied). */
    int (*register_route)(struct neptun_plugin_ctx *ctx, const char *method,
                          const char *pattern, neptun_route_fn fn, void *ud);
    int (*register_lua_function)(struct neptun_plugin_ctx *ctx, const char *name,
                                 neptun_lua_fn fn, void *ud);

    /* Logging, prefixed with the plugin's name.  ctx may be NULL after init. */
    void (*log)(struct neptun_plugin_ctx *ctx, int level, const char *fmt, ...) NEPTUN_PRINTF(3, 4);

    /* Pools (see pool.h for ownership). */
    void *(*pool_alloc)(struct neptun_pool *pool, size_t size);
    char *(*pool_strdup)(struct neptun_pool *pool, const char *s);
    char *(*pool_printf)(struct neptun_pool *pool, const char *fmt, ...) NEPTUN_PRINTF(2, 3);

    /* Validation problems: path is an element path, message is formatted. */
    void (*error_add)(struct neptun_errors *errs, const char *path, const char *fmt, ...) NEPTUN_PRINTF(3, 4);

    /* RFC 3339 / ISO 8601 date-time with offset ("2017-06-29T13:30:00+02:00")
     * or a date ("2017-06-29", midnight in the configured time zone). */
    int (*parse_time)(const char *text, int64_t *out);

    /* Translated interface string from locales/ for lang, plural-selected by
     * n (CLDR rules; pass -1 when no count), with "{n}" replaced by n.
     * Falls back along the chain, then to key.  Pool-owned. */
    const char *(*t)(struct neptun_pool *pool, const char *key, const char *lang, long n);
    /* Human date/time range in lang's own forms (ICU): flags NEPTUN_FMT_*.
     * end may be 0 for a single moment.  Pool-owned; NULL on error. */
    const char *(*format_range)(struct neptun_pool *pool, const char *lang,
                                int64_t start, int64_t end, unsigned flags);

    /* Read-only helpers over a fields tree.  Elements are matched by local
     * name in the neptun namespace. */
    const xmlNode *(*xml_child)(const xmlNode *parent, const char *name);
    const xmlNode *(*xml_next)(const xmlNode *node, const char *name);
    /* Text content / attribute value, pool-owned; NULL when absent. */
    const char *(*xml_text)(struct neptun_pool *pool, const xmlNode *node);
    const char *(*xml_attr)(struct neptun_pool *pool, const xmlNode *node, const char *name);
    /* The child named name whose xml:lang is the first of rc->fallback that
     * has one (a child without xml:lang matches any language).  *got_lang
     * (may be NULL) receives its language.  NULL when none. */
    const xmlNode *(*xml_child_lang)(const struct neptun_render_ctx *rc, const xmlNode *parent,
                                     const char *name, const char **got_lang);
    /* Write <name xml:lang="got">text</name> in the neptun namespace: the
     * xml:lang attribute only when got_lang differs from rc->lang. */
    int (*xml_write_text)(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                          const char *name, const char *text, const char *got_lang);

    /* iCalendar: add one property; the host escapes value and folds lines.
     * params may be NULL or e.g. "ALTREP=\"https://...\"". */
    int (*ics_add)(struct neptun_ics *ics, const char *name, const char *params, const char *value);

    /* Requests and replies, for route handlers. */
    struct neptun_pool *(*req_pool)(struct neptun_req *req);
    const char *(*req_method)(struct neptun_req *req);
    const char *(*req_path)(struct neptun_req *req);
    const char *(*req_lang)(struct neptun_req *req);
    const char *(*req_query)(struct neptun_req *req, const char *name);
    const char *(*req_param)(struct neptun_req *req, const char *name);
    const char *(*req_header)(struct neptun_req *req, const char *name);
    int (*reply_header)(struct neptun_reply *reply, const char *name, const char *value);
    /* body is copied; content_type gets "; charset=utf-8" when it is text. */
    int (*reply_send)(struct neptun_reply *reply, int status, const char *content_type,
                      const void *body, size_t len);

    /* ---- added in ABI 1.1: test with NEPTUN_HOST_HAS before calling ---- */

    /* Calendar days from the local date of start to that of end, both
     * counted, in the configured time zone (ICU): 1 when both fall on one
     * day.  0 when end < start or either is out of range. */
    long (*days_spanned)(int64_t start, int64_t end);

    /* Route handlers: the item type/slug as /{lang}/{type}/{slug} shows it
     * now, read from the worker's store: published or archived, and due
     * (drafts and items not yet due are not found), then shaped by the Lua
     * rules' on_item (an item they drop is not found).  *out is borrowed,
     * valid until the reply.  NEPTUN_OK, NEPTUN_NOT_FOUND (also for a
     * malformed slug or an unknown type) or NEPTUN_ERROR. */
    int (*item_get)(struct neptun_req *req, const char *type, const char *slug,
                    const struct neptun_item **out);
    /* Route handlers: a render context for item in the request's language
     * ({lang} of the route, else the default) with its fields parsed, so
     * that xml_child_lang, xml_write_text and writer.h work in a route as in
     * the render callbacks.  Pool-owned (fields included), valid until the
     * reply; NULL when out of memory. */
    const struct neptun_render_ctx *(*item_render_ctx)(struct neptun_req *req,
                                                       const struct neptun_item *item);

    /* Registration (only inside init): a catalog string that t finds, for
     * words the host's catalogs lack.  key must begin with the plugin's
     * name and a dot ("projects.coordinator"), or be "type.<name>" for a
     * type the plugin registered before (the type's name in lang, which
     * titles its feeds; since ABI 1.2); forms (copied) is one text,
     * or for a count every plural form lang's catalog uses, in its PO
     * msgstr[i] order (pl: one, few, many; en, de: one, other), "{n}"
     * standing for the count.  NEPTUN_OK, also when lang is not configured
     * (nothing to do); NEPTUN_INVALID for a bad key, a key already given,
     * or a wrong number of forms. */
    int (*register_messages)(struct neptun_plugin_ctx *ctx, const char *lang, const char *key,
                             const char *const *forms, size_t nforms);

    /* ---- added in ABI 1.2: test with NEPTUN_HOST_HAS before calling ---- */

    /* validate's pool: the one that owns errs, valid until the answer to
     * the document is sent (element paths, texts read with xml_text). */
    struct neptun_pool *(*errors_pool)(struct neptun_errors *errs);
};

/* True when the host table offers member (a host of a later minor). */
#define NEPTUN_HOST_HAS(host, member) \
    ((host)->struct_size >= offsetof(struct neptun_host, member) + sizeof((host)->member))

#ifdef __cplusplus
}
#endif

#endif /* NEPTUN_PLUGIN_H */
