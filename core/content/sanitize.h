/*
 * sanitize.h - the XHTML allow-list for rich bodies.
 */
#ifndef NEPTUN_SANITIZE_H
#define NEPTUN_SANITIZE_H

#include <libxml/tree.h>
#include "errors.h"

/* Clean the subtree under div in place: elements outside the allow-list are
 * removed (script, style, iframe, object, embed, form... with their
 * content; unknown harmless ones unwrapped), attributes outside the
 * allow-list and every on* handler dropped, href/src limited to http, https,
 * mailto, tel and relative URLs (no javascript:, data:, vbscript:, even
 * obfuscated by entities, case or whitespace), target="_blank" links get
 * rel="noopener noreferrer".  Returns the number of things removed. */
int sanitize_xhtml(xmlNodePtr div);

/* Is this URL allowed in href/src? */
int sanitize_url_ok(const char *url);

#endif
