#ifndef CLINLOAD_XML_BRIDGE_INTERNAL_H
#define CLINLOAD_XML_BRIDGE_INTERNAL_H
/* Shared between the bridge's C files only; never reaches Swift (it is not in
 * include/), so it may name libxml2 types. */
#include "clinload_xml.h"
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stddef.h>

/* Options every clinload parse uses: never touch the network, never substitute
 * entities, never load an external DTD, keep libxml2's size limits (no HUGE).
 * NOERROR/NOWARNING keep libxml2 from printing: its messages quote values. */
#define CLX_SAFE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* The schema root the entity loader honours on this thread while a schema
 * compiles (NULL otherwise): an xs:include/xs:import may read files under it,
 * and only then. Set and cleared by clx_schema_compile. */
void clx_loader_begin_schema_scope(const char *canonical_root);
/* Ends the scope; returns how many loads the loader refused inside it. */
unsigned long clx_loader_end_schema_scope(void);

/* Canonical absolute path of `path` (realpath), or NULL if it does not exist.
 * "file://" URLs are accepted and percent-decoded; any other scheme is refused.
 * The caller frees the result with free(). */
char *clx_canonical_path(const char *path_or_url);

/* The compiled libxml2 schema behind a clx_schema (xml_schema.c). */
xmlSchemaPtr clx_schema_compiled(const clx_schema *schema);

/* 1 if `canonical` is `canonical_dir` itself or lies under it. */
int clx_path_is_under(const char *canonical, const char *canonical_dir);

#endif
