/*
 * test_conf.c - the configuration reader: defaults, every kind of value,
 * FILE:LINE errors for unknown keys and bad values, secrets by hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "conf.h"

static char *write_conf(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/neptun-test-conf-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

int main(void)
{
    struct conf c;
    char *path;

    /* The shipped file reads cleanly. */
    CHECK(conf_load("conf/neptun.conf", &c) == 0);
    CHECK(c.nlangs == 3);
    CHECK_STR(c.langs[0].code, "pl");
    CHECK_STR(c.langs[2].chain[1], "en");
    CHECK_STR(c.langs[2].chain[2], "pl");
    CHECK(c.langs[2].chain[3] == NULL);
    CHECK(c.nplugins == 3);
    CHECK(c.npartners == 1 && c.partners[0].is_dev);
    CHECK(c.nadmin_tokens == 1 && c.admin_tokens[0].is_dev);
    CHECK(conf_match_secret(c.admin_tokens, c.nadmin_tokens, "dev-admin-token") != NULL);
    CHECK(conf_match_secret(c.admin_tokens, c.nadmin_tokens, "dev-admin-tokem") == NULL);
    CHECK(conf_match_secret(c.admin_tokens, c.nadmin_tokens, "") == NULL);
    CHECK(conf_match_secret(c.partners, c.npartners, "dev-sopot-key") != NULL);
    CHECK(c.max_body == 1024 * 1024);
    CHECK(c.store_cache_bytes == 16u << 20);
    CHECK(c.scripts_dir != NULL && c.scripts_dir[0] == '/');
    CHECK_STR(c.langs[0].site_title, "Gdańsk — integracja i migracje");
    conf_free(&c);

    /* The built-in configuration is in force before any file: never NULL. */
    CHECK(neptun_conf == conf_builtin() && neptun_conf->nlangs == 3);
    CHECK_STR(conf_default_lang(), "pl");
    CHECK(conf_has_lang("de", 2) && conf_has_lang("pl/x", 2) && !conf_has_lang("fr", 2) &&
          !conf_has_lang("p", 1));
    CHECK_STR(conf_site("en", CONF_SITE_TITLE), "neptun"); /* no file names the portal */

    /* The portal's words: per language, along the fallback chain, the
     * name standing in for a missing title and the other way round. */
    path = write_conf("language pl\nlanguage en\nlanguage de\nfallback de en pl\n"
                      "site_name pl Gdańsk\nsite_title en Gdańsk   —   welcome\n"
                      "site_description de Neues aus Gdańsk\n");
    CHECK(conf_load(path, &c) == 0);
    CHECK_STR(c.langs[1].site_title, "Gdańsk — welcome"); /* words joined by one space */
    neptun_conf = &c;
    CHECK_STR(conf_site("pl", CONF_SITE_NAME), "Gdańsk");
    CHECK_STR(conf_site("pl", CONF_SITE_TITLE), "Gdańsk — welcome"); /* pl -> en */
    CHECK_STR(conf_site("pl", CONF_SITE_DESCRIPTION), "Gdańsk"); /* none along pl's chain: the name */
    CHECK_STR(conf_site("de", CONF_SITE_TITLE), "Gdańsk — welcome"); /* de -> en */
    CHECK_STR(conf_site("de", CONF_SITE_DESCRIPTION), "Neues aus Gdańsk");
    CHECK_STR(conf_site("en", CONF_SITE_NAME), "Gdańsk"); /* en -> pl */
    CHECK_STR(conf_site("fr", CONF_SITE_NAME), "Gdańsk"); /* not configured: the default's chain */
    neptun_conf = conf_builtin();
    conf_free(&c);
    path = write_conf("site_name pl Gdańsk\nlanguage pl\n");
    CHECK(conf_load(path, &c) < 0); /* languages first */
    conf_free(&c);

    /* Defaults: three languages with SPEC's fallback chains. */
    path = write_conf("# nothing but a comment\n\nlisten 127.0.0.1:9999\n");
    CHECK(conf_load(path, &c) == 0);
    CHECK(c.listen_port == 9999);
    CHECK(c.store_cache_bytes == 16u << 20); /* the default */
    CHECK_STR(c.base_url, "http://127.0.0.1:9999");
    CHECK_STR(c.langs[0].chain[1], "en"); /* pl -> en */
    CHECK_STR(c.langs[1].chain[1], "pl"); /* en -> pl */
    CHECK_STR(c.langs[2].chain[1], "en"); /* de -> en -> pl */
    CHECK_STR(c.langs[2].chain[2], "pl");
    conf_free(&c);

    /* Every bad line is reported; the load fails. */
    path = write_conf("listen nowhere\nno_such_key 1\nworkers -3\nlanguage PL\nlanguage pl\nlanguage pl\n"
                      "fallback fr en\npartner x 1234\ncache_bytes 12q\nwatch_scripts maybe\n");
    fflush(stderr);
    CHECK(conf_load(path, &c) == -1);
    conf_free(&c);

    CHECK(conf_load("/nonexistent/neptun.conf", &c) == -1);
    conf_free(&c);

    CHECK(conf_is_loopback("127.0.0.1"));
    CHECK(conf_is_loopback("::1"));
    CHECK(!conf_is_loopback("0.0.0.0"));
    CHECK(!conf_is_loopback("10.1.2.3"));
    unlink(path);
    CHECK_DONE();
}
