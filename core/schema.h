/*
 * schema.h - the RELAX NG grammar of item documents and API answers,
 * composed at start-up from schema/neptun.rng and each type's fragment
 * (defines "fields.<type>" and "render.<type>", optionally "route.<type>"),
 * with the libxml2 tree API.
 */
#ifndef NEPTUN_SCHEMA_H
#define NEPTUN_SCHEMA_H

#include <libxml/relaxng.h>
#include "errors.h"

/* Build from the base grammar file and the registered types.  -1 with a
 * message on stderr when a fragment is malformed. */
int schema_init(const char *base_path);
void schema_cleanup(void);
/* The composed grammar as served at /schema/neptun.rng (borrowed). */
const char *schema_text(size_t *len);
/* Validate doc against the grammar; each problem goes to errs with its
 * element path.  NEPTUN_OK or NEPTUN_INVALID.  Thread-safe. */
int schema_validate(xmlDocPtr doc, struct neptun_errors *errs);

#endif
