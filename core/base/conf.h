/*
 * conf.h - the server configuration (conf/neptun.conf).
 *
 * Format: one "key value..." directive per line, '#' starts a comment.
 * Relative paths are taken from the config file's folder; command-line
 * overrides (--listen, --db, --scripts) from the working directory.
 * The table of keys lives in conf.c; unknown keys and bad values are
 * reported as "FILE:LINE: message".
 */
#ifndef NEPTUN_CONF_H
#define NEPTUN_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_MAX_LANGS 16

struct conf_lang {
    char *code;                         /* "pl" */
    const char *chain[CONF_MAX_LANGS + 1]; /* code, then fallbacks; NULL-ended */
    /* The portal's own words in this language (site_name, site_title,
     * site_description), NULL when the file gives none: the deployment's,
     * never the core's catalogs'. */
    char *site_name;                    /* short, in feed titles: "Gdańsk" */
    char *site_title;                   /* "Gdańsk — integracja i migracje" */
    char *site_description;             /* one line about the portal */
};

/* Which of a language's site texts conf_site() reads. */
enum conf_site_text { CONF_SITE_NAME, CONF_SITE_TITLE, CONF_SITE_DESCRIPTION };

struct conf_secret {          /* a partner key or an admin token */
    char *name;
    uint8_t sha256[32];
    int is_dev;               /* the shipped development secret */
};

struct conf {
    char *path;               /* the file read, absolute */

    char *listen_host;        /* "127.0.0.1" */
    int listen_port;          /* 8080 */
    char *admin_host;         /* NULL: admin API on the public listener */
    int admin_port;
    int workers;              /* 0: one per core */

    struct conf_lang langs[CONF_MAX_LANGS];
    size_t nlangs;            /* langs[0] is the default */
    char *base_url;           /* "http://127.0.0.1:8080", no trailing '/' */
    char *timezone;           /* "Europe/Warsaw" */

    char **plugins;           /* names or paths of plugin .so files */
    size_t nplugins;
    char *plugin_dir;         /* where plugin names are looked up */
    char *scripts_dir;
    char *db_path;
    char *content_dir;        /* sample content imported into an empty store */
    char *locales_dir;
    char *schema_path;        /* base RELAX NG grammar */
    char *access_log;         /* path, "-" for stderr, NULL for none */

    struct conf_secret *partners;
    size_t npartners;
    struct conf_secret *admin_tokens;
    size_t nadmin_tokens;

    size_t cache_bytes;       /* response cache bound */
    size_t store_cache_bytes; /* each worker's SQLite page cache */
    int cache_max_age;        /* Cache-Control max-age, seconds */
    size_t max_body;          /* bytes; larger bodies get 413 */
    size_t max_uri;           /* bytes; longer URIs get 414 */
    int max_connections;      /* per worker */
    int read_timeout;         /* seconds for headers and body */
    int write_timeout;

    long lua_instructions;    /* per hook call */
    size_t lua_memory;        /* bytes per Lua state */
    int lua_slow_ms;          /* hooks slower than this are logged */
    int watch_scripts;        /* reload when a script file changes */
    char *base_host;          /* the host of the file's base_url, without a
                               * port; NULL when the file sets none */
};

/* Read path into *out.  On failure prints "FILE:LINE: message" lines to
 * stderr and returns -1.  Caller frees with conf_free(). */
int conf_load(const char *path, struct conf *out);
void conf_free(struct conf *conf);
/* A configured language or NULL. */
const struct conf_lang *conf_lang(const struct conf *conf, const char *code);
/* Is the span code[0..len) a language of neptun_conf?  The one check of
 * "configured language" for documents, URLs and rules. */
int conf_has_lang(const char *code, size_t len);
/* neptun_conf's default language (its first). */
const char *conf_default_lang(void);
/* The portal's text for lang, taken along lang's fallback chain; a missing
 * name is the title, a missing title or description the name; "neptun"
 * when the file names the portal in no language.  Borrowed (lives as long
 * as the configuration). */
const char *conf_site(const char *lang, enum conf_site_text which);
/* The secret whose hash matches token (constant-time compare), or NULL. */
const struct conf_secret *conf_match_secret(const struct conf_secret *v, size_t n,
                                            const char *token);

/* The configuration in force, never NULL: the built-in defaults until
 * start-up points it at the loaded file; read-only once workers run. */
extern const struct conf *neptun_conf;
/* The built-in configuration (defaults only); lives for the process. */
const struct conf *conf_builtin(void);

/* The identity of this deployment's items (SPEC 7, "Identity"): the
 * authority and date of their tag: URIs (RFC 4151), as the store keeps
 * them.  Set once, by the first store opened for writing at start-up
 * (before workers run); later calls change nothing.  Never depends on the
 * address the server listens on. */
void conf_identity_set(const char *authority, const char *date);
/* The authority ("events.gdansk.pl", "neptun-3f2a9c1d0e4b") and date
 * ("2026-12-04") in force; until a store sets them, "neptun.invalid" and
 * "2000-01-01".  Borrowed, for the process. */
const char *conf_identity_authority(void);
const char *conf_identity_date(void);



/* "HOST:PORT" or "[v6]:PORT" into *host (replaced, malloc'd) and *port. */
int conf_parse_hostport(const char *s, char **host, int *port);
/* SHA-256 of text (libcrypto).  0 or -1. */
int conf_sha256(const char *text, uint8_t out[32]);
/* The installed file at BINDIR/from_bindir when it exists (the tree may
 * have moved since it was built), else the compiled-in path.  Malloc'd. */
char *conf_install_path(const char *from_bindir, const char *compiled);
/* Is host a loopback address (dev secrets are refused elsewhere)? */
int conf_is_loopback(const char *host);
#endif
