/*
 * projects_messages.c - the words only this type needs, added to the
 * host's catalogs at init with register_messages, so that host->t finds
 * them like its own (with the same fallback chain and plural rules).
 *
 * Keys begin with the plugin's name.  A text is one form, or for a count
 * every plural form of the language in its PO msgstr order ("{n}" is the
 * count): Polish one, few, many; English and German one, other.  Strings
 * for a language the server does not serve are accepted and ignored.
 */
#include <string.h>
#include "projects.h"

struct projects_message {
    const char *lang;
    const char *key;
    const char *forms[3];
    size_t nforms;
};

static const struct projects_message messages[] = {
    /* The type's name, which titles its feeds ("type.<name>", ABI 1.2). */
    {"pl", "type.projects", {"Projekty"}, 1},
    {"en", "type.projects", {"Projects"}, 1},
    {"de", "type.projects", {"Projekte"}, 1},
    {"pl", "projects.coordinator", {"Koordynator"}, 1},
    {"en", "projects.coordinator", {"Coordinator"}, 1},
    {"de", "projects.coordinator", {"Koordination"}, 1},
    {"pl", "projects.themes", {"Tematy"}, 1},
    {"en", "projects.themes", {"Themes"}, 1},
    {"de", "projects.themes", {"Themen"}, 1},
    {"pl", "projects.visits", {"Wizyty studyjne"}, 1},
    {"en", "projects.visits", {"Study visits"}, 1},
    {"de", "projects.visits", {"Studienbesuche"}, 1},
    {"pl", "projects.publications", {"Publikacje"}, 1},
    {"en", "projects.publications", {"Publications"}, 1},
    {"de", "projects.publications", {"Veröffentlichungen"}, 1},
    {"pl", "projects.objectives", {"Cele"}, 1},
    {"en", "projects.objectives", {"Objectives"}, 1},
    {"de", "projects.objectives", {"Ziele"}, 1},
    {"pl", "projects.count.visits", {"{n} wizyta studyjna", "{n} wizyty studyjne", "{n} wizyt studyjnych"}, 3},
    {"en", "projects.count.visits", {"{n} study visit", "{n} study visits"}, 2},
    {"de", "projects.count.visits", {"{n} Studienbesuch", "{n} Studienbesuche"}, 2},
};

int projects_register_messages(struct neptun_plugin_ctx *ctx, const struct neptun_host *host)
{
    for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
        const struct projects_message *m = &messages[i];
        if (strncmp(m->key, "type.", 5) == 0 && host->abi_minor < 2)
            continue; /* an older host keeps type names in its own catalogs */
        int rc = host->register_messages(ctx, m->lang, m->key, m->forms, m->nforms);
        if (rc != NEPTUN_OK)
            return rc;
    }
    return NEPTUN_OK;
}
