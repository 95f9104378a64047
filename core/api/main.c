/*
 * main.c - the neptun command line: serve, import, export, check-scripts.
 *
 * Start-up order matters: configuration, locale rules, plugins (which
 * register types, routes and Lua functions), the composed schema, then the
 * store and, for serve, the Lua rules and the built-in routes.  Everything
 * registered here is read-only once the workers start.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <libxml/parser.h>
#include "http.h"
#include "cli.h"
#include "conf.h"
#include "handlers.h"
#include "locale.h"
#include "log.h"
#include "rules.h"
#include "plugin.h"
#include "content.h"
#include "server.h"
#include "store.h"

#define DEFAULT_CONF "conf/neptun.conf"

struct options {
    const char *command;
    const char *conf_path;
    const char *listen;
    const char *admin_listen;
    const char *db;
    const char *scripts;
    const char *plugin_dir;
    const char *type;      /* export --type */
    const char *workers;
    char **args;           /* positional: import files, check-scripts dir */
    int nargs;
    int init;              /* --init: create the store even where one was */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: neptun [serve] [-c FILE] [--listen HOST:PORT] [--db PATH] [--scripts DIR]\n"
            "              [--admin-listen HOST:PORT] [--workers N] [--plugin-dir DIR] [--init]\n"
            "       neptun import [-c FILE] [--db PATH] [--init] FILE...\n"
            "       neptun export [-c FILE] [--db PATH] [--type TYPE]\n"
            "       neptun check-scripts [-c FILE] [DIR]\n"
            "       neptun --version | --help\n"
            "\n"
            "serve          answer the read API, feeds and admin API (default command)\n"
            "import         load item documents into the store (each file all or nothing)\n"
            "export         write every item as one <items> document to standard output\n"
            "check-scripts  compile the Lua rules and run their test_* functions\n"
            "\n"
            "--init         create a new, empty store even though one existed at the\n"
            "               configured path (it was moved or deleted); without it such\n"
            "               a start is refused, so a lost store is never replaced in silence\n"
            "\n"
            "The configuration defaults to " DEFAULT_CONF "; command-line values override it.\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    int i = 1;
    memset(o, 0, sizeof(*o));
    o->command = "serve";
    if (argc > 1 && argv[1][0] != '-') {
        o->command = argv[1];
        i = 2;
    }
    o->args = calloc((size_t)argc + 1, sizeof(char *));
    if (o->args == NULL)
        return -1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
            slot = &o->conf_path;
        else if (strcmp(a, "--listen") == 0)
            slot = &o->listen;
        else if (strcmp(a, "--admin-listen") == 0)
            slot = &o->admin_listen;
        else if (strcmp(a, "--db") == 0)
            slot = &o->db;
        else if (strcmp(a, "--scripts") == 0)
            slot = &o->scripts;
        else if (strcmp(a, "--plugin-dir") == 0)
            slot = &o->plugin_dir;
        else if (strcmp(a, "--type") == 0)
            slot = &o->type;
        else if (strcmp(a, "--workers") == 0)
            slot = &o->workers;
        else if (strcmp(a, "--init") == 0) {
            o->init = 1;
            continue;
        } else if (strcmp(a, "--") == 0) {
            while (++i < argc)
                o->args[o->nargs++] = argv[i];
            break;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "neptun: unknown option %s (see neptun --help)\n", a);
            return -1;
        } else {
            o->args[o->nargs++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "neptun: %s needs a value\n", a);
            return -1;
        }
        *slot = argv[++i];
    }
    return 0;
}

static char *dup_or_die(const char *s)
{
    char *d = strdup(s);
    if (d == NULL) {
        fprintf(stderr, "neptun: out of memory\n");
        exit(1);
    }
    return d;
}

/* Command-line values are relative to the working directory. */
static void override_path(char **slot, const char *value)
{
    free(*slot);
    char *abs = realpath(value, NULL);
    *slot = abs ? abs : dup_or_die(value);
}

static int apply_overrides(struct conf *c, const struct options *o)
{
    if (o->listen != NULL) {
        if (conf_parse_hostport(o->listen, &c->listen_host, &c->listen_port) < 0) {
            fprintf(stderr, "neptun: --listen expects HOST:PORT, got \"%s\"\n", o->listen);
            return -1;
        }
        /* Links follow the address unless the file set a public base URL
         * for this very address. */
        char buf[300];
        snprintf(buf, sizeof(buf), "http://%s:%d", c->listen_host, c->listen_port);
        free(c->base_url);
        c->base_url = dup_or_die(buf);
    }
    if (o->admin_listen != NULL &&
        conf_parse_hostport(o->admin_listen, &c->admin_host, &c->admin_port) < 0) {
        fprintf(stderr, "neptun: --admin-listen expects HOST:PORT, got \"%s\"\n", o->admin_listen);
        return -1;
    }
    if (o->workers != NULL) {
        char *end;
        long w = strtol(o->workers, &end, 10);
        if (*end != '\0' || w < 0 || w > 256) {
            fprintf(stderr, "neptun: --workers expects 0..256\n");
            return -1;
        }
        c->workers = (int)w;
    }
    if (o->db != NULL)
        override_path(&c->db_path, o->db);
    if (o->scripts != NULL)
        override_path(&c->scripts_dir, o->scripts);
    if (o->plugin_dir != NULL)
        override_path(&c->plugin_dir, o->plugin_dir);
    return 0;
}

/* Development secrets are fine on loopback and refused anywhere else. */
static int check_dev_secrets(const struct conf *c)
{
    int dev = 0;
    for (size_t i = 0; i < c->nadmin_tokens; i++)
        dev |= c->admin_tokens[i].is_dev;
    for (size_t i = 0; i < c->npartners; i++)
        dev |= c->partners[i].is_dev;
    if (!dev)
        return 0;
    const char *admin_host = c->admin_host ? c->admin_host : c->listen_host;
    if (!conf_is_loopback(c->listen_host) || !conf_is_loopback(admin_host)) {
        log_error("the development admin token or partner key is configured and the server would listen on "
                  "a non-loopback address (%s): refusing to start; configure your own secrets",
                  conf_is_loopback(c->listen_host) ? admin_host : c->listen_host);
        return -1;
    }
    log_warn("the development admin token and/or partner key are in use: fine on loopback, never in production");
    return 0;
}

/* Everything every command needs: locale rules, plugins, the schema. */
static int bootstrap(const struct conf *c)
{
    if (locale_init(c->locales_dir, c->timezone) < 0)
        return -1;
    int n = plugins_load(c->plugins, c->nplugins, c->plugin_dir);
    if (n < (int)c->nplugins)
        log_warn("%d of %zu configured plugins loaded; going on without the others", n, c->nplugins);
    if (schema_init(c->schema_path) < 0)
        return -1;
    return 0;
}

/* Opens (and on a first start creates) the store; a store that existed
 * and is gone is created anew only with init (--init). */
static int open_store(const struct conf *c, int init, struct store **s)
{
    char *err = NULL;
    if (store_open(c->db_path, STORE_CREATE | (init ? STORE_INIT : 0), s, &err) != NEPTUN_OK) {
        log_error("cannot open the store %s: %s", c->db_path, err ? err : "unknown error");
        free(err);
        return -1;
    }
    return 0;
}

/* One server per store: an advisory lock on <db>.lock, held for the
 * server's life and holding its PID.  The kernel drops it when the process
 * ends, however it ends, so no stale lock outlives a crash; the file itself
 * stays (removing it would let two servers lock two different files).
 * import and export take no lock: SQLite orders their writes and reads.
 * Returns the descriptor to keep open (the caller closes it), or -1 with
 * the reason logged. */
static int lock_store(const char *db_path)
{
    char path[4096];
    char pid[32];
    int fd = -1;
    if (snprintf(path, sizeof(path), "%s.lock", db_path) >= (int)sizeof(path)) {
        log_error("the store path %s is too long for its lock file", db_path);
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_error("cannot open the store's lock file %s: %s; not starting", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
            pid[n > 0 ? n : 0] = '\0';
            pid[strcspn(pid, "\r\n")] = '\0';
            log_error("the store %s is in use by another neptun server (PID %s, lock %s); "
                      "not starting", db_path, pid[0] != '\0' ? pid : "unknown", path);
        } else {
            log_error("cannot lock the store's lock file %s: %s; not starting", path, strerror(errno));
        }
        close(fd);
        return -1;
    }
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        log_warn("cannot write the PID into the lock file %s: %s", path, strerror(errno));
    return fd;
}

/* glibc's allocator, tuned for a server whose requests allocate and free
 * small blocks at a high rate: without fastbins, frees do not pile up for
 * malloc_consolidate (measured: +4 % on small cached answers), and a few
 * arenas instead of eight per core keep resident memory bounded when
 * several workers render large answers at once. */
static void tune_malloc(const struct conf *c)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int workers = c->workers > 0 ? c->workers : (cores > 0 ? (int)cores : 2);
    if (mallopt(M_MXFAST, 0) != 1)
        log_warn("mallopt(M_MXFAST) refused; using the allocator's defaults");
    if (mallopt(M_ARENA_MAX, workers + 1) != 1)
        log_warn("mallopt(M_ARENA_MAX) refused; using the allocator's defaults");
}

static int cmd_serve(const struct conf *c, const struct options *o)
{
    struct store *s = NULL;
    int64_t count = 0;
    int lock_fd = -1;
    int rc = 1;
    if (check_dev_secrets(c) < 0)
        goto out;
    lock_fd = lock_store(c->db_path);
    if (lock_fd < 0)
        goto out;
    if (open_store(c, o->init, &s) < 0)
        goto out;
    if (store_count(s, &count) == NEPTUN_OK && count == 0 && c->content_dir != NULL) {
        log_info("empty store: importing the sample content from %s", c->content_dir);
        if (cli_import_dir(s, c->content_dir) < 0)
            log_warn("some sample content could not be imported (see above)");
    }
    store_close(s);
    if (cache_init(c->cache_bytes) < 0)
        goto out;
    if (c->scripts_dir != NULL && rules_reload(c->scripts_dir) != NEPTUN_OK)
        log_warn("the Lua rules in %s did not load; serving without rules", c->scripts_dir);
    if (log_access_open(c->access_log) < 0)
        goto out;
    tune_malloc(c);
    admin_init();
    handlers_system_init();
    handlers_read_init();
    rc = server_run(c);
    log_access_close();
    rules_cleanup();
    cache_cleanup();
out:
    if (lock_fd >= 0)
        close(lock_fd);  /* releases the store for the next server */
    return rc;
}

static int cmd_import(const struct conf *c, const struct options *o)
{
    struct store *s = NULL;
    if (o->nargs == 0) {
        fprintf(stderr, "neptun import: name at least one item document\n");
        return 2;
    }
    if (open_store(c, o->init, &s) < 0)
        return 1;
    int rc = cli_import(s, o->args, (size_t)o->nargs);
    store_close(s);
    return rc == 0 ? 0 : 1;
}

static int cmd_export(const struct conf *c, const struct options *o)
{
    struct store *s = NULL;
    if (o->type != NULL && types_find(o->type) == NULL) {
        fprintf(stderr, "neptun export: unknown type \"%s\"\n", o->type);
        return 2;
    }
    if (open_store(c, 0, &s) < 0)
        return 1;
    int rc = cli_export(s, o->type, stdout);
    if (fflush(stdout) != 0)
        rc = -1;
    store_close(s);
    return rc == 0 ? 0 : 1;
}

static int cmd_check_scripts(const struct conf *c, const struct options *o)
{
    const char *dir = o->nargs > 0 ? o->args[0] : c->scripts_dir;
    if (dir == NULL) {
        fprintf(stderr, "neptun check-scripts: no scripts folder given or configured\n");
        return 2;
    }
    int failures = rules_check(dir);
    if (failures < 0)
        return 2;
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct options o;
    struct conf conf;
    int rc = 1;

    if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("neptun %s (plugin ABI %d.%d)\n", NEPTUN_VERSION, NEPTUN_ABI_MAJOR, NEPTUN_ABI_MINOR);
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                     strcmp(argv[1], "help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (parse_args(argc, argv, &o) < 0) {
        free(o.args);
        return 2;
    }
    int known = strcmp(o.command, "serve") == 0 || strcmp(o.command, "import") == 0 ||
                strcmp(o.command, "export") == 0 || strcmp(o.command, "check-scripts") == 0;
    if (!known) {
        fprintf(stderr, "neptun: unknown command \"%s\" (see neptun --help)\n", o.command);
        free(o.args);
        return 2;
    }
    if (strcmp(o.command, "serve") == 0 && o.nargs > 0) {
        fprintf(stderr, "neptun serve: unexpected argument \"%s\"\n", o.args[0]);
        free(o.args);
        return 2;
    }
    const char *path = o.conf_path ? o.conf_path : DEFAULT_CONF;
    if (conf_load(path, &conf) < 0 || apply_overrides(&conf, &o) < 0) {
        fprintf(stderr, "neptun: configuration errors, not starting\n");
        conf_free(&conf);
        free(o.args);
        return 2;
    }
    neptun_conf = &conf;
    xmlInitParser();
    if (strcmp(o.command, "check-scripts") == 0) {
        /* Scripts may call neptun.t: catalogs are needed, plugins too for
         * their Lua functions. */
        if (bootstrap(&conf) < 0)
            goto out;
        rc = cmd_check_scripts(&conf, &o);
        goto out;
    }
    if (bootstrap(&conf) < 0)
        goto out;
    if (strcmp(o.command, "serve") == 0)
        rc = cmd_serve(&conf, &o);
    else if (strcmp(o.command, "import") == 0)
        rc = cmd_import(&conf, &o);
    else
        rc = cmd_export(&conf, &o);
out:
    schema_cleanup();
    router_cleanup();
    plugins_unload();
    locale_cleanup();
    xmlCleanupParser();
    neptun_conf = conf_builtin();
    conf_free(&conf);
    free(o.args);
    return rc;
}
