/*
 * fuzz_itemdoc.c - libFuzzer harness for the item document reader.
 *
 * Any input must be refused cleanly or parsed; a parsed document must
 * write back to a document that parses to the same number of items.
 * A small type "notes" stands in for the plugins.
 *
 *   clang -fsanitize=fuzzer,address,undefined ... fuzz_itemdoc.c <core> -o fuzz_itemdoc
 *   NEPTUN_SOURCE_DIR=. ./fuzz_itemdoc tests/fuzz/corpus/itemdoc
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include "content.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char notes_rng[] =
    "<grammar xmlns='http://relaxng.org/ns/structure/1.0' ns='urn:neptun:1'>"
    "  <define name='fields.notes'><element name='note'>"
    "    <zeroOrMore><choice><attribute><anyName/></attribute><text/>"
    "      <element name='line'><text/></element></choice></zeroOrMore>"
    "  </element></define>"
    "  <define name='render.notes'><element name='note'><text/></element></define>"
    "</grammar>";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *src = getenv("NEPTUN_SOURCE_DIR");
    char path[4096];
    struct neptun_type notes = {
        .struct_size = sizeof(struct neptun_type), .name = "notes", .element = "note",
        .schema_rng = notes_rng,
    };

    xmlInitParser();
    if (types_register(&notes, NULL) != NEPTUN_OK)
        abort();
    snprintf(path, sizeof(path), "%s/schema/neptun.rng", src ? src : ".");
    if (schema_init(path) != 0) {
        fprintf(stderr, "fuzz_itemdoc: cannot load %s (set NEPTUN_SOURCE_DIR)\n", path);
        abort();
    }
    return 0;
}

/* Write every item into an <items> document (caller frees). */
static char *write_all(const struct itemdoc *docs, size_t n)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    char *out = NULL;
    int ok = w != NULL && xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) >= 0 &&
             xmlTextWriterStartElementNS(w, NULL, BAD_CAST "items", BAD_CAST NEPTUN_XML_NS) >= 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = itemdoc_write(w, &docs[i].item, 1) == NEPTUN_OK;
    ok = ok && xmlTextWriterEndDocument(w) >= 0;
    if (w != NULL)
        xmlFreeTextWriter(w);
    if (ok)
        out = strdup((const char *)xmlBufferContent(buf));
    if (buf != NULL)
        xmlBufferFree(buf);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_errors errs;
    struct itemdoc *docs = NULL, *again = NULL;
    size_t n = 0, n2 = 0;
    char *written = NULL;

    if (pool == NULL)
        return 0;
    errors_init(&errs, pool);
    if (itemdoc_parse(pool, (const char *)data, size, &docs, &n, &errs) == NEPTUN_OK) {
        written = write_all(docs, n);
        if (written == NULL)
            abort(); /* a parsed item must be writable */
        errors_init(&errs, pool);
        if (itemdoc_parse(pool, written, strlen(written), &again, &n2, &errs) != NEPTUN_OK || n2 != n) {
            fprintf(stderr, "round trip failed:\n%s\n", written);
            for (size_t i = 0; i < errs.n; i++)
                fprintf(stderr, "  %s: %s\n", errs.v[i].path, errs.v[i].message);
            abort();
        }
        for (size_t i = 0; i < n; i++)
            if (itemdoc_fields(pool, &docs[i].item) == NULL && docs[i].item.fields_xml != NULL)
                abort();
    } else if (errs.n == 0) {
        abort(); /* every refusal says why */
    }
    free(written);
    neptun_pool_free(pool);
    return 0;
}
