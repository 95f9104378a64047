/*
 * projects_strands.c - the programme strands whose code a project may
 * name in <programme code="...">: the strands and measures of the EU
 * "Europe for Citizens" programme 2014-2020, with the names the programme
 * itself published in Polish, English and German.  A project of another
 * programme leaves the code out and names its programme in <name>.
 */
#include <string.h>
#include "projects.h"

const struct projects_strand projects_strands[] = {
    {"efc-1-remembrance",
     "Europa dla Obywateli, komponent 1 – Europejska pamięć",
     "Europe for Citizens, strand 1 – European remembrance",
     "Europa für Bürgerinnen und Bürger, Aktionsbereich 1 – Europäisches Geschichtsbewusstsein"},
    {"efc-2-town-twinning",
     "Europa dla Obywateli, komponent 2 – Spotkania mieszkańców miast partnerskich",
     "Europe for Citizens, strand 2 – Town Twinning",
     "Europa für Bürgerinnen und Bürger, Aktionsbereich 2 – Bürgerbegegnungen"},
    {"efc-2-network-of-towns",
     "Europa dla Obywateli, komponent 2 – Sieci miast",
     "Europe for Citizens, strand 2 – Network of Towns",
     "Europa für Bürgerinnen und Bürger, Aktionsbereich 2 – Netzwerke von Partnerstädten"},
    {"efc-2-civil-society",
     "Europa dla Obywateli, komponent 2 – Projekty społeczeństwa obywatelskiego",
     "Europe for Citizens, strand 2 – Civil Society Projects",
     "Europa für Bürgerinnen und Bürger, Aktionsbereich 2 – Projekte der Zivilgesellschaft"},
    {NULL, NULL, NULL, NULL},
};

const struct projects_strand *projects_strand_find(const char *code)
{
    if (code == NULL)
        return NULL;
    for (const struct projects_strand *s = projects_strands; s->code != NULL; s++)
        if (strcmp(s->code, code) == 0)
            return s;
    return NULL;
}

static const char *name_in(const struct projects_strand *s, const char *lang)
{
    if (strcmp(lang, "pl") == 0)
        return s->name_pl;
    if (strcmp(lang, "en") == 0)
        return s->name_en;
    if (strcmp(lang, "de") == 0)
        return s->name_de;
    return NULL;
}

const char *projects_strand_name(const struct projects_strand *s, const char *const *chain,
                                 const char **got_lang)
{
    for (size_t i = 0; chain != NULL && chain[i] != NULL; i++) {
        const char *name = name_in(s, chain[i]);
        if (name != NULL) {
            *got_lang = chain[i];
            return name;
        }
    }
    *got_lang = "en";
    return s->name_en;
}
