/*
 * fuzz_accept_language.c - the negotiation header parsers: Accept-Language,
 * Accept-Encoding and If-None-Match, on arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const langs[] = { "pl", "en", "de", "pt-BR" };
    char *header = malloc(size + 1);
    if (header == NULL)
        return 0;
    memcpy(header, data, size);
    header[size] = '\0';

    size_t i = negotiate_language_index(header, langs, 4);
    if (i >= 4)
        abort();
    (void)negotiate_gzip(header);
    (void)negotiate_etag_match(header, "\"5d41402abc4b2a76\"");
    free(header);
    return 0;
}
