/*
 * conf.c - reading conf/neptun.conf.
 *
 * Every key is declared once in the table below with its type and where
 * its value goes (nginx's ngx_command_t, Kore's directive table), so an
 * unknown key or a bad value is found in one place and reported as
 * "FILE:LINE: message".  Relative paths are resolved against the folder of
 * the file that names them.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "conf.h"
#include "log.h"

/* The built-in configuration: what a file that sets nothing gives.  It is
 * in force from the start (a constructor fills it before main) until main
 * points neptun_conf at the loaded file, and again after, so neptun_conf
 * is never NULL: unit tests, tools and fuzzers read the same defaults as
 * a server whose file sets nothing, and no caller spells a default. */
static struct conf builtin_conf;
const struct conf *neptun_conf = &builtin_conf;

#define CONF_MAX_ARGS 16

struct conf_parse {
    const char *file;
    int line;
    char *dir;      /* folder of the file, for relative paths */
    int errors;
};

static void conf_err(struct conf_parse *cp, const char *fmt, ...) NEPTUN_PRINTF(2, 3);

static void conf_err(struct conf_parse *cp, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", cp->file, cp->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cp->errors++;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (d == NULL) {
        fprintf(stderr, "neptun: out of memory\n");
        exit(1);
    }
    return d;
}

static char *resolve_path(struct conf_parse *cp, const char *value)
{
    if (value[0] == '/' || cp->dir == NULL)
        return xstrdup(value);
    size_t n = strlen(cp->dir) + strlen(value) + 2;
    char *p = malloc(n);
    if (p == NULL) {
        fprintf(stderr, "neptun: out of memory\n");
        exit(1);
    }
    snprintf(p, n, "%s/%s", cp->dir, value);
    return p;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Sizes accept a k/m/g suffix: "64m". */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024ULL, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1024ULL * 1024, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end != '\0' || v > SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

int conf_parse_hostport(const char *s, char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    long p;
    if (colon == NULL || colon == s || parse_long(colon + 1, 0, 65535, &p) < 0)
        return -1;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[' && hl >= 2 && s[hl - 1] == ']') { /* [::1]:8080 */
        s++;
        hl -= 2;
    }
    char *h = strndup(s, hl);
    if (h == NULL)
        return -1;
    free(*host);
    *host = h;
    *port = (int)p;
    return 0;
}

static int parse_hex32(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
            sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

int conf_sha256(const char *text, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_Digest(text, strlen(text), out, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return -1;
    return 0;
}

static int is_lang_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 8)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]))
            return 0;
    return 1;
}

/* ---- directive handlers ------------------------------------------------ */

typedef void (*conf_set_fn)(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off);

enum { ARG_ONE = 1, ARG_ANY = -1 };

struct conf_key {
    const char *name;
    int nargs;            /* exact count, or ARG_ANY (at least one) */
    conf_set_fn set;
    size_t off;           /* offset into struct conf for the generic setters */
    const char *help;
};

#define OFF(field) offsetof(struct conf, field)

static void set_str(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    char **slot = (char **)((char *)c + off);
    free(*slot);
    *slot = xstrdup(argv[0]);
}

static void set_path(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    char **slot = (char **)((char *)c + off);
    free(*slot);
    *slot = resolve_path(cp, argv[0]);
}

static void set_int(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    long v;
    if (parse_long(argv[0], 0, 1000000000L, &v) < 0) {
        conf_err(cp, "expected a whole number from 0, got \"%s\"", argv[0]);
        return;
    }
    *(int *)((char *)c + off) = (int)v;
}

static void set_long(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    long v;
    if (parse_long(argv[0], 1000, LONG_MAX, &v) < 0) {
        conf_err(cp, "expected a whole number of at least 1000, got \"%s\"", argv[0]);
        return;
    }
    *(long *)((char *)c + off) = v;
}

static void set_size(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    size_t v;
    if (parse_size(argv[0], &v) < 0) {
        conf_err(cp, "expected a size such as 65536, 64k or 16m, got \"%s\"", argv[0]);
        return;
    }
    *(size_t *)((char *)c + off) = v;
}

static void set_bool(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    int v;
    if (strcmp(argv[0], "on") == 0)
        v = 1;
    else if (strcmp(argv[0], "off") == 0)
        v = 0;
    else {
        conf_err(cp, "expected on or off, got \"%s\"", argv[0]);
        return;
    }
    *(int *)((char *)c + off) = v;
}

static void set_listen(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    int is_admin = off == OFF(admin_host);
    if (conf_parse_hostport(argv[0], is_admin ? &c->admin_host : &c->listen_host,
                            is_admin ? &c->admin_port : &c->listen_port) < 0)
        conf_err(cp, "expected HOST:PORT, got \"%s\"", argv[0]);
}

static void set_access_log(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    free(c->access_log);
    if (strcmp(argv[0], "off") == 0)
        c->access_log = NULL;
    else if (strcmp(argv[0], "-") == 0)
        c->access_log = xstrdup("-");
    else
        c->access_log = resolve_path(cp, argv[0]);
}

static void set_language(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    if (!is_lang_code(argv[0])) {
        conf_err(cp, "\"%s\" is not a language code (lower-case letters, e.g. pl)", argv[0]);
        return;
    }
    if (conf_lang(c, argv[0]) != NULL) {
        conf_err(cp, "language %s is listed twice", argv[0]);
        return;
    }
    if (c->nlangs == CONF_MAX_LANGS) {
        conf_err(cp, "at most %d languages", CONF_MAX_LANGS);
        return;
    }
    struct conf_lang *l = &c->langs[c->nlangs++];
    memset(l, 0, sizeof(*l));
    l->code = xstrdup(argv[0]);
    l->chain[0] = l->code;
}

/* "fallback de en pl": the chain for de is de, en, pl.  Checked against
 * the languages once the whole file is read. */
/* site_name / site_title / site_description LANG TEXT...: the words are
 * joined by single spaces (the file's format splits on blanks). */
static void set_site_text(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    struct conf_lang *l = (struct conf_lang *)conf_lang(c, argv[0]);
    if (l == NULL) {
        conf_err(cp, "%s is not a configured language (list languages first)", argv[0]);
        return;
    }
    if (argc < 2) {
        conf_err(cp, "give a language and the text");
        return;
    }
    size_t len = 0;
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = malloc(len);
    if (text == NULL) {
        conf_err(cp, "out of memory");
        return;
    }
    text[0] = '\0';
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            strcat(text, " ");
        strcat(text, argv[i]);
    }
    char **slot = (char **)((char *)l + off);
    free(*slot);
    *slot = text;
}

static void set_fallback(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    struct conf_lang *l = (struct conf_lang *)conf_lang(c, argv[0]);
    if (l == NULL) {
        conf_err(cp, "fallback for %s, which is not a configured language (list languages first)", argv[0]);
        return;
    }
    if (argc < 2 || argc > CONF_MAX_LANGS) {
        conf_err(cp, "fallback needs a language and at least one language to fall back to");
        return;
    }
    for (int i = 1; i < argc; i++) {
        const struct conf_lang *t = conf_lang(c, argv[i]);
        if (t == NULL) {
            conf_err(cp, "fallback to %s, which is not a configured language", argv[i]);
            return;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(argv[j], argv[i]) == 0) {
                conf_err(cp, "language %s appears twice in a fallback chain", argv[i]);
                return;
            }
        l->chain[i] = t->code;
    }
    l->chain[argc] = NULL;
}

static void add_secret(struct conf_parse *cp, struct conf_secret **v, size_t *n,
                       char **argv, const char *dev_plain)
{
    struct conf_secret s = {0};
    if (parse_hex32(argv[1], s.sha256) < 0) {
        conf_err(cp, "expected the SHA-256 of the secret as 64 hex digits (echo -n SECRET | sha256sum), got \"%s\"", argv[1]);
        return;
    }
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].name, argv[0]) == 0) {
            conf_err(cp, "\"%s\" is defined twice", argv[0]);
            return;
        }
    uint8_t dev[32];
    if (conf_sha256(dev_plain, dev) == 0 && CRYPTO_memcmp(dev, s.sha256, 32) == 0)
        s.is_dev = 1;
    struct conf_secret *nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (nv == NULL) {
        conf_err(cp, "out of memory");
        return;
    }
    s.name = xstrdup(argv[0]);
    nv[(*n)++] = s;
    *v = nv;
}

static void set_partner(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    add_secret(cp, &c->partners, &c->npartners, argv, "dev-sopot-key");
}

static void set_admin_token(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    add_secret(cp, &c->admin_tokens, &c->nadmin_tokens, argv, "dev-admin-token");
}

static void set_plugin(struct conf_parse *cp, struct conf *c, int argc, char **argv, size_t off)
{
    char **nv = realloc(c->plugins, (c->nplugins + 1) * sizeof(*nv));
    if (nv == NULL) {
        conf_err(cp, "out of memory");
        return;
    }
    c->plugins = nv;
    /* A bare name is looked up in plugin_dir; a path is resolved here. */
    c->plugins[c->nplugins++] = strchr(argv[0], '/') ? resolve_path(cp, argv[0]) : xstrdup(argv[0]);
}

static const struct conf_key conf_keys[] = {
    {"listen", ARG_ONE, set_listen, OFF(listen_host), "HOST:PORT of the public API"},
    {"admin_listen", ARG_ONE, set_listen, OFF(admin_host), "HOST:PORT of the admin API"},
    {"workers", ARG_ONE, set_int, OFF(workers), "worker threads, 0 = one per core"},
    {"language", ARG_ONE, set_language, 0, "a language served; the first is the default"},
    {"fallback", ARG_ANY, set_fallback, 0, "LANG FALLBACK..."},
    {"base_url", ARG_ONE, set_str, OFF(base_url), "absolute URL for links"},
    {"timezone", ARG_ONE, set_str, OFF(timezone), "the city's time zone"},
    {"site_name", ARG_ANY, set_site_text, offsetof(struct conf_lang, site_name),
     "LANG NAME...: the portal's short name (feed titles)"},
    {"site_title", ARG_ANY, set_site_text, offsetof(struct conf_lang, site_title),
     "LANG TITLE...: the portal's title"},
    {"site_description", ARG_ANY, set_site_text, offsetof(struct conf_lang, site_description),
     "LANG TEXT...: one line about the portal (feed descriptions)"},
    {"plugin", ARG_ONE, set_plugin, 0, "a plugin to load"},
    {"plugin_dir", ARG_ONE, set_path, OFF(plugin_dir), "where plugin names are found"},
    {"scripts", ARG_ONE, set_path, OFF(scripts_dir), "Lua rules folder"},
    {"db", ARG_ONE, set_path, OFF(db_path), "SQLite database file"},
    {"content", ARG_ONE, set_path, OFF(content_dir), "sample content for an empty store"},
    {"locales", ARG_ONE, set_path, OFF(locales_dir), "translation catalogs"},
    {"schema", ARG_ONE, set_path, OFF(schema_path), "base RELAX NG grammar"},
    {"access_log", ARG_ONE, set_access_log, 0, "PATH, - (stderr) or off"},
    {"partner", 2, set_partner, 0, "NAME SHA256-OF-KEY"},
    {"admin_token", 2, set_admin_token, 0, "NAME SHA256-OF-TOKEN"},
    {"cache_bytes", ARG_ONE, set_size, OFF(cache_bytes), "response cache size"},
    {"cache_max_age", ARG_ONE, set_int, OFF(cache_max_age), "Cache-Control max-age"},
    {"store_cache_bytes", ARG_ONE, set_size, OFF(store_cache_bytes), "SQLite page cache per worker"},
    {"max_body", ARG_ONE, set_size, OFF(max_body), "largest request body"},
    {"max_uri", ARG_ONE, set_size, OFF(max_uri), "longest request URI"},
    {"max_connections", ARG_ONE, set_int, OFF(max_connections), "connections per worker"},
    {"read_timeout", ARG_ONE, set_int, OFF(read_timeout), "seconds"},
    {"write_timeout", ARG_ONE, set_int, OFF(write_timeout), "seconds"},
    {"lua_instructions", ARG_ONE, set_long, OFF(lua_instructions), "per hook call"},
    {"lua_memory", ARG_ONE, set_size, OFF(lua_memory), "per Lua state"},
    {"lua_slow_ms", ARG_ONE, set_int, OFF(lua_slow_ms), "slow hook threshold"},
    {"watch_scripts", ARG_ONE, set_bool, OFF(watch_scripts), "reload on file change"},
};

char *conf_install_path(const char *from_bindir, const char *compiled)
{
    char exe[PATH_MAX], buf[PATH_MAX + 256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        snprintf(buf, sizeof(buf), "%s/%s", dirname(exe), from_bindir);
        char *real = realpath(buf, NULL);
        if (real != NULL)
            return real;
    }
    return xstrdup(compiled);
}

static void conf_defaults(struct conf *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_host = xstrdup("127.0.0.1");
    c->listen_port = 8080;
    c->timezone = xstrdup("Europe/Warsaw");
    c->access_log = xstrdup("-");
    c->cache_bytes = 64u << 20;
    c->cache_max_age = 60;
    c->store_cache_bytes = 16u << 20;
    c->max_body = 1u << 20;
    c->max_uri = 4096;
    c->max_connections = 20000;
    c->read_timeout = 30;
    c->write_timeout = 30;
    c->lua_instructions = 1000000;
    c->lua_memory = 32u << 20;
    c->lua_slow_ms = 20;
    c->watch_scripts = 1;
}

/* The host of a base URL as a tag: authority (RFC 4151 wants a DNS name):
 * lower-cased, without user or port; NULL for an address literal or
 * "localhost", which name no deployment. */
static char *base_url_host(const char *url)
{
    const char *h = strstr(url, "://");
    h = h != NULL ? h + 3 : url;
    size_t n = strcspn(h, "/?#");
    const char *at = memchr(h, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    if (n > 0 && h[0] == '[')
        return NULL;
    const char *colon = memchr(h, ':', n);
    if (colon != NULL)
        n = (size_t)(colon - h);
    while (n > 0 && h[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return NULL;
    int letters = 0;
    char *host = malloc(n + 1);
    if (host == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (!isalnum(ch) && ch != '-' && ch != '.') {
            free(host);
            return NULL;
        }
        letters |= isalpha(ch) != 0;
        host[i] = (char)tolower(ch);
    }
    host[n] = '\0';
    if (!letters || strcmp(host, "localhost") == 0) {
        free(host);
        return NULL;
    }
    return host;
}

/* Fill what the file left out: languages, fallback chains, paths. */
static void conf_finish(struct conf *c)
{
    static const char *const default_langs[] = {"pl", "en", "de"};
    if (c->nlangs == 0)
        for (size_t i = 0; i < 3; i++) {
            c->langs[i].code = xstrdup(default_langs[i]);
            c->langs[i].chain[0] = c->langs[i].code;
            c->nlangs++;
        }
    /* Languages without an explicit chain: SPEC's defaults where they
     * apply (de -> en -> pl, en -> pl, pl -> en), else the default language. */
    for (size_t i = 0; i < c->nlangs; i++) {
        struct conf_lang *l = &c->langs[i];
        if (l->chain[1] != NULL)
            continue;
        const char *pref[3] = {NULL, NULL, NULL};
        if (strcmp(l->code, "de") == 0)
            pref[0] = "en", pref[1] = "pl";
        else if (strcmp(l->code, "en") == 0)
            pref[0] = "pl";
        else if (strcmp(l->code, "pl") == 0)
            pref[0] = "en";
        size_t k = 1;
        for (size_t j = 0; j < 2 && pref[j]; j++) {
            const struct conf_lang *t = conf_lang(c, pref[j]);
            if (t != NULL)
                l->chain[k++] = t->code;
        }
        if (k == 1 && l != &c->langs[0])
            l->chain[k++] = c->langs[0].code;
        l->chain[k] = NULL;
    }
    if (c->base_url != NULL && c->base_host == NULL)
        c->base_host = base_url_host(c->base_url);
    if (c->base_url == NULL) {
        char buf[300];
        snprintf(buf, sizeof(buf), "http://%s%s%s:%d", strchr(c->listen_host, ':') ? "[" : "",
                 c->listen_host, strchr(c->listen_host, ':') ? "]" : "", c->listen_port);
        c->base_url = xstrdup(buf);
    }
    size_t bl = strlen(c->base_url);
    while (bl > 0 && c->base_url[bl - 1] == '/')
        c->base_url[--bl] = '\0';
    if (c->locales_dir == NULL)
        c->locales_dir = conf_install_path(NEPTUN_BIN_TO_DATA "/locales", NEPTUN_DATA_INSTALL_DIR "/locales");
    if (c->schema_path == NULL)
        c->schema_path = conf_install_path(NEPTUN_BIN_TO_DATA "/schema/neptun.rng",
                                           NEPTUN_DATA_INSTALL_DIR "/schema/neptun.rng");
    if (c->db_path == NULL)
        c->db_path = xstrdup("neptun.db");
}

static int split_args(char *line, char **argv)
{
    int argc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (argc == CONF_MAX_ARGS)
            return -1;
        argv[argc++] = tok;
    }
    return argc;
}

static void conf_builtin_init(void) __attribute__((constructor));
static void conf_builtin_init(void)
{
    conf_defaults(&builtin_conf);
    conf_finish(&builtin_conf);
}

const struct conf *conf_builtin(void)
{
    return &builtin_conf;
}

int conf_load(const char *path, struct conf *out)
{
    struct conf_parse cp = {.file = path, .line = 0};
    conf_defaults(out);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        conf_finish(out);
        return -1;
    }
    char *abs = realpath(path, NULL);
    out->path = abs ? abs : xstrdup(path);
    char *tmp = xstrdup(out->path);
    cp.dir = xstrdup(dirname(tmp));
    free(tmp);

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        cp.line++;
        if (memchr(line, '\0', (size_t)len) != NULL) {
            conf_err(&cp, "NUL byte in line");
            continue;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        line[strcspn(line, "\n")] = '\0';
        char *argv[CONF_MAX_ARGS];
        int argc = split_args(line, argv);
        if (argc < 0) {
            conf_err(&cp, "too many values (at most %d)", CONF_MAX_ARGS - 1);
            continue;
        }
        if (argc == 0)
            continue;
        const struct conf_key *k = NULL;
        for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
            if (strcmp(conf_keys[i].name, argv[0]) == 0)
                k = &conf_keys[i];
        if (k == NULL) {
            conf_err(&cp, "unknown key \"%s\"", argv[0]);
            continue;
        }
        int nargs = argc - 1;
        if ((k->nargs == ARG_ANY && nargs < 1) || (k->nargs > 0 && nargs != k->nargs)) {
            conf_err(&cp, "%s takes %s%d value%s (%s)", k->name, k->nargs == ARG_ANY ? "at least " : "",
                     k->nargs == ARG_ANY ? 1 : k->nargs, k->nargs == 1 || k->nargs == ARG_ANY ? "" : "s",
                     k->help);
            continue;
        }
        k->set(&cp, out, nargs, argv + 1, k->off);
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error: %s\n", path, strerror(errno));
        cp.errors++;
    }
    free(line);
    fclose(f);
    free(cp.dir);
    conf_finish(out);
    return cp.errors ? -1 : 0;
}

void conf_free(struct conf *c)
{
    free(c->path);
    free(c->listen_host);
    free(c->admin_host);
    for (size_t i = 0; i < c->nlangs; i++) {
        free(c->langs[i].code);
        free(c->langs[i].site_name);
        free(c->langs[i].site_title);
        free(c->langs[i].site_description);
    }
    free(c->base_url);
    free(c->base_host);
    free(c->timezone);
    for (size_t i = 0; i < c->nplugins; i++)
        free(c->plugins[i]);
    free(c->plugins);
    free(c->plugin_dir);
    free(c->scripts_dir);
    free(c->db_path);
    free(c->content_dir);
    free(c->locales_dir);
    free(c->schema_path);
    free(c->access_log);
    for (size_t i = 0; i < c->npartners; i++)
        free(c->partners[i].name);
    free(c->partners);
    for (size_t i = 0; i < c->nadmin_tokens; i++)
        free(c->admin_tokens[i].name);
    free(c->admin_tokens);
    memset(c, 0, sizeof(*c));
}

const struct conf_lang *conf_lang(const struct conf *c, const char *code)
{
    if (c == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < c->nlangs; i++)
        if (strcmp(c->langs[i].code, code) == 0)
            return &c->langs[i];
    return NULL;
}

int conf_has_lang(const char *code, size_t len)
{
    for (size_t i = 0; code != NULL && i < neptun_conf->nlangs; i++) {
        const char *l = neptun_conf->langs[i].code;
        if (strncmp(l, code, len) == 0 && l[len] == '\0')
            return 1;
    }
    return 0;
}

const char *conf_default_lang(void)
{
    return neptun_conf->langs[0].code;
}

static const char *site_text(const struct conf_lang *l, enum conf_site_text which)
{
    switch (which) {
    case CONF_SITE_NAME: return l->site_name;
    case CONF_SITE_TITLE: return l->site_title;
    case CONF_SITE_DESCRIPTION: return l->site_description;
    }
    return NULL;
}

/* which's text along lang's chain (the default language's when lang is
 * not configured), or NULL. */
static const char *site_along_chain(const char *lang, enum conf_site_text which)
{
    const struct conf_lang *l = conf_lang(neptun_conf, lang);
    if (l == NULL)
        l = &neptun_conf->langs[0];
    for (size_t i = 0; l->chain[i] != NULL; i++) {
        const struct conf_lang *t = conf_lang(neptun_conf, l->chain[i]);
        const char *text = t != NULL ? site_text(t, which) : NULL;
        if (text != NULL)
            return text;
    }
    return NULL;
}

const char *conf_site(const char *lang, enum conf_site_text which)
{
    const char *text = site_along_chain(lang, which);
    if (text == NULL && which != CONF_SITE_TITLE)
        text = site_along_chain(lang, which == CONF_SITE_NAME ? CONF_SITE_TITLE : CONF_SITE_NAME);
    if (text == NULL && which == CONF_SITE_TITLE)
        text = site_along_chain(lang, CONF_SITE_NAME);
    return text != NULL ? text : "neptun";
}

/* Hash the presented token once, then compare against every configured
 * hash without stopping early, so timing says nothing about which or how
 * much matched. */
const struct conf_secret *conf_match_secret(const struct conf_secret *v, size_t n, const char *token)
{
    uint8_t h[32];
    const struct conf_secret *found = NULL;
    if (token == NULL || conf_sha256(token, h) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (CRYPTO_memcmp(h, v[i].sha256, 32) == 0)
            found = &v[i];
    return found;
}

int conf_is_loopback(const char *host)
{
    return host == NULL || strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0;
}

/* Written once before workers start, read-only after (see conf.h). */
static char identity_authority[256] = "neptun.invalid";
static char identity_date[16] = "2000-01-01";
static int identity_is_set;

void conf_identity_set(const char *authority, const char *date)
{
    if (identity_is_set || authority == NULL || date == NULL || authority[0] == '\0' ||
        strlen(authority) >= sizeof identity_authority || strlen(date) >= sizeof identity_date)
        return;
    memcpy(identity_authority, authority, strlen(authority) + 1);
    memcpy(identity_date, date, strlen(date) + 1);
    identity_is_set = 1;
}

const char *conf_identity_authority(void)
{
    return identity_authority;
}

const char *conf_identity_date(void)
{
    return identity_date;
}
