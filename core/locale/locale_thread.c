/*
 * locale_thread.c - the locale module's state: locale_global, written once
 * at start-up, and each thread's cache of ICU service objects.
 *
 * ICU service objects (plural rules, collators, transliterators, date
 * formats, calendars) must not be used by two threads at once, so each
 * thread opens its own on first use, in the file that uses them (locale.c,
 * locale_time.c), into its struct locale_thread.  The cache's life is
 * here: it is made on first use and everything in it freed by
 * locale_thread_cleanup when the thread ends.  The other parts of the
 * module use this file; it uses none of them.
 */
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>

#include "locale_internal.h"

struct locale_global locale_global;

static _Thread_local struct locale_thread *thread_cache;

int locale_plausible_lang(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n < 2 || n >= LOCALE_LANG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

char *locale_utf8_to_pool(struct neptun_pool *pool, const UChar *s, int32_t len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t need = 0;
    char *out;

    u_strToUTF8(NULL, 0, &need, s, len, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return NULL;
    out = neptun_pool_alloc(pool, (size_t)need + 1);
    if (out == NULL)
        return NULL;
    err = U_ZERO_ERROR;
    u_strToUTF8(out, need + 1, NULL, s, len, &err);
    return U_SUCCESS(err) ? out : NULL;
}

struct locale_thread *locale_thread_get(void)
{
    if (thread_cache == NULL)
        thread_cache = calloc(1, sizeof(*thread_cache));
    return thread_cache;
}

struct locale_thread_lang *locale_thread_lang(const char *code)
{
    struct locale_thread *th = locale_thread_get();
    struct locale_thread_lang *slot;

    if (th == NULL || !locale_plausible_lang(code))
        return NULL;
    for (size_t i = 0; i < th->nlangs; i++)
        if (strcmp(th->langs[i].code, code) == 0)
            return &th->langs[i];
    if (th->nlangs == CONF_MAX_LANGS)
        return NULL;
    slot = &th->langs[th->nlangs++];
    strcpy(slot->code, code);
    return slot;
}

void locale_thread_cleanup(void)
{
    struct locale_thread *th = thread_cache;
    if (th == NULL)
        return;
    for (size_t i = 0; i < th->nlangs; i++) {
        struct locale_thread_lang *l = &th->langs[i];
        if (l->plural != NULL)
            uplrules_close(l->plural);
        if (l->collator != NULL)
            ucol_close(l->collator);
        for (int k = 0; k < LOCALE_RANGE_KINDS; k++)
            if (l->range[k] != NULL)
                udtitvfmt_close(l->range[k]);
    }
    if (th->fold != NULL)
        utrans_close(th->fold);
    if (th->slug != NULL)
        utrans_close(th->slug);
    if (th->rfc822 != NULL)
        udat_close(th->rfc822);
    if (th->utc != NULL)
        ucal_close(th->utc);
    if (th->zone != NULL)
        ucal_close(th->zone);
    free(th);
    thread_cache = NULL;
}
