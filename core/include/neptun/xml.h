/*
 * neptun/xml.h - libxml2 types used by the plugin SDK.
 *
 * Plugins read their fields as a libxml2 tree (read-only) and write their
 * renderings with an xmlTextWriter the host owns.  Never build XML by string
 * concatenation: the writer escapes.
 */
#ifndef NEPTUN_XML_H
#define NEPTUN_XML_H

#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <neptun/item.h>

#endif /* NEPTUN_XML_H */
