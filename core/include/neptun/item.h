/*
 * neptun/item.h - the content item as the host hands it to plugins,
 * renderers and Lua.
 *
 * Every string is UTF-8 and, unless said otherwise, owned by the pool the
 * item was loaded into (valid until the reply).  Times are Unix seconds (UTC);
 * 0 means "not set".
 */
#ifndef NEPTUN_ITEM_H
#define NEPTUN_ITEM_H

#include <neptun/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* XML namespace of item documents and of every XML API answer. */
#define NEPTUN_XML_NS "urn:neptun:1"
/* XHTML namespace, used for rich bodies. */
#define NEPTUN_XHTML_NS "http://www.w3.org/1999/xhtml"

enum neptun_status {
    NEPTUN_STATUS_DRAFT = 0,
    NEPTUN_STATUS_PUBLISHED = 1,
    NEPTUN_STATUS_ARCHIVED = 2
};

/* The text of an item in one language. */
struct neptun_text {
    const char *lang;    /* "pl", "en", "de" */
    const char *title;   /* plain text, never NULL */
    const char *summary; /* plain text, may be NULL */
    const char *body;    /* sanitised XHTML fragment: the serialised children of
                          * one <div xmlns="http://www.w3.org/1999/xhtml">,
                          * i.e. the whole <div>...</div>; may be NULL */
};

/* A link or attachment: registration form, downloadable programme, ... */
struct neptun_link {
    const char *rel;   /* "registration", "programme", "related", "social", ... */
    const char *href;  /* absolute URL */
    const char *lang;  /* language of the target, may be NULL (any) */
    const char *title; /* may be NULL */
    const char *mime;  /* media type of the target, may be NULL */
};

struct neptun_item {
    int64_t id;            /* store row id; 0 before it is stored */
    const char *type;      /* registered type name, e.g. "events" */
    const char *slug;      /* [a-z0-9-]{1,80} */
    enum neptun_status status;
    int64_t publish_at;    /* visible from this moment; 0 = at once */
    int64_t created;       /* first stored */
    int64_t updated;       /* last change: the publication date in feeds */
    int64_t starts_at;     /* from the type's index(): dated types only */
    int64_t ends_at;
    int64_t revision;      /* increases on every stored change */

    const char **tags;     /* ntags machine tags, [a-z0-9-] */
    size_t ntags;
    struct neptun_text *texts; /* one per language present, ntexts >= 1 */
    size_t ntexts;
    struct neptun_link *links;
    size_t nlinks;

    /* The type-specific part of the item document: the serialised element
     * the type registered as its root (e.g. "<event>...</event>"), in the
     * neptun namespace.  NULL when the type has no fields. */
    const char *fields_xml;
};

#ifdef __cplusplus
}
#endif

#endif /* NEPTUN_ITEM_H */
