/*
 * cli.h - the import and export subcommands, also used to load the sample
 * content into an empty store on first start.
 */
#ifndef NEPTUN_CLI_H
#define NEPTUN_CLI_H

#include <stdio.h>

struct store;

/* Import item documents.  Each file is all-or-nothing; problems are
 * printed as "FILE: PATH: message".  0 when every file imported, -1 else. */
int cli_import(struct store *s, char *const *files, size_t n);
/* Import every *.xml under dir in name order. */
int cli_import_dir(struct store *s, const char *dir);
/* Write an <items> document of every item (of type, or all) to out, from
 * one consistent snapshot.  0 or -1. */
int cli_export(struct store *s, const char *type, FILE *out);

#endif
