/*
 * cli.c - `neptun import` and `neptun export`: item documents in and out of
 * the store.  Export writes the same format import reads, so the two
 * round-trip.  Each imported file is one transaction: a file with any
 * problem changes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlwriter.h>
#include "cli.h"
#include "content.h"
#include "store.h"

/* Far above any real content file; keeps a wrong argument from eating memory. */
#define CLI_MAX_FILE (64u << 20)

/* Read the whole file into a malloc'd buffer (caller frees). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= CLI_MAX_FILE) {
                fprintf(stderr, "%s: larger than %u bytes\n", path, CLI_MAX_FILE);
                goto fail;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                fprintf(stderr, "%s: out of memory\n", path);
                goto fail;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error\n", path);
        goto fail;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

static int import_file(struct store *s, const char *path)
{
    struct neptun_pool *pool = NULL;
    struct neptun_errors errs;
    struct itemdoc *docs = NULL;
    size_t len = 0, n = 0, fresh = 0;
    char *buf = NULL;
    int ret = -1;

    if ((buf = read_file(path, &len)) == NULL)
        goto out;
    if ((pool = neptun_pool_new(len + 65536)) == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        goto out;
    }
    errors_init(&errs, pool);
    if (itemdoc_parse(pool, buf, len, &docs, &n, &errs) != NEPTUN_OK) {
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "%s: %s: %s\n", path, errs.v[i].path, errs.v[i].message);
        if (errs.n == 0)
            fprintf(stderr, "%s: not a valid item document\n", path);
        goto out;
    }
    const struct neptun_item **items = neptun_pool_calloc(pool, n ? n : 1, sizeof(*items));
    const struct neptun_index **idx = neptun_pool_calloc(pool, n ? n : 1, sizeof(*idx));
    int *created = neptun_pool_calloc(pool, n ? n : 1, sizeof(*created));
    if (items == NULL || idx == NULL || created == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        items[i] = &docs[i].item;
        idx[i] = &docs[i].index;
    }
    if (store_put_many(s, items, idx, n, created) != NEPTUN_OK) {
        fprintf(stderr, "%s: not imported: the store refused it (see the log)\n", path);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        fresh += created[i] != 0;
    fprintf(stderr, "%s: %zu item%s imported (%zu new)\n", path, n, n == 1 ? "" : "s", fresh);
    ret = 0;
out:
    neptun_pool_free(pool);
    free(buf);
    return ret;
}

int cli_import(struct store *s, char *const *files, size_t n)
{
    int ret = 0;
    for (size_t i = 0; i < n; i++)
        if (import_file(s, files[i]) != 0)
            ret = -1;
    return ret;
}

static int is_xml_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".xml") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cli_import_dir(struct store *s, const char *dir)
{
    DIR *d = opendir(dir);
    char **paths = NULL;
    size_t n = 0, cap = 0;
    int ret = -1;
    struct dirent *e;

    if (d == NULL) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (!is_xml_name(e->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **np = realloc(paths, ncap * sizeof(*np));
            if (np == NULL)
                goto oom;
            paths = np;
            cap = ncap;
        }
        if (asprintf(&paths[n], "%s/%s", dir, e->d_name) < 0)
            goto oom;
        n++;
    }
    if (n > 0)
        qsort(paths, n, sizeof(*paths), compare_names);
    ret = cli_import(s, paths, n);
    goto out;
oom:
    fprintf(stderr, "%s: out of memory\n", dir);
out:
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    closedir(d);
    return ret;
}

static int export_item(void *ud, const struct neptun_item *item)
{
    xmlTextWriterPtr w = ud;
    if (itemdoc_write(w, item, 1) != NEPTUN_OK) {
        fprintf(stderr, "export: cannot write %s/%s\n", item->type, item->slug);
        return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

int cli_export(struct store *s, const char *type, FILE *out)
{
    xmlOutputBufferPtr ob = NULL;
    xmlTextWriterPtr w = NULL;
    int ret = -1;

    if ((ob = xmlOutputBufferCreateFile(out, NULL)) == NULL)
        goto out;
    if ((w = xmlNewTextWriter(ob)) == NULL) {
        xmlOutputBufferClose(ob); /* the writer did not take it */
        goto out;
    }
    /* No indentation: bodies are mixed content, and added whitespace would
     * grow on every export/import round trip. */
    if (xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 ||
        xmlTextWriterStartElementNS(w, NULL, BAD_CAST "items", BAD_CAST NEPTUN_XML_NS) < 0)
        goto out;
    if (store_foreach(s, type, export_item, w) != NEPTUN_OK)
        goto out;
    if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndDocument(w) < 0 ||
        xmlTextWriterFlush(w) < 0)
        goto out;
    ret = 0;
out:
    xmlFreeTextWriter(w); /* also closes ob, which leaves out open */
    if (fflush(out) != 0 || ferror(out))
        ret = -1;
    if (ret != 0)
        fprintf(stderr, "export: failed\n");
    return ret;
}
