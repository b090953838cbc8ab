#ifndef CLINLOAD_XML_H
#define CLINLOAD_XML_H
/* The opaque C bridge over libxml2. Swift sees only these declarations, never a
 * libxml2 header (see CLibXML2/shim.h for why). */

#ifdef __cplusplus
extern "C" {
#endif

/* Initialises libxml2 once per process and installs clinload's external-entity
 * loader, which refuses every load that is not under an allowed schema folder
 * (none until clx_allow_schema_dir is called). Safe to call repeatedly. */
void clx_initialize(void);

/* Adds a folder whose files the entity loader may open (our own XSDs). The path
 * must be absolute; returns 0 on success, -1 if the list is full or the path
 * is not absolute. */
int clx_allow_schema_dir(const char *absolute_dir);

/* LIBXML_VERSION of the library actually linked, e.g. 20914. */
int clx_library_version(void);

/* The count of entity loads refused since start (for tests and diagnostics). */
unsigned long clx_refused_entity_loads(void);

/* Parses a whole in-memory document with clinload's safe options (NONET, no
 * entity substitution, no DTD loading) and returns 0 if well-formed, -1 if not.
 * A probe for tests of the hardening; feed extraction streams instead. */
int clx_probe_well_formed(const char *buffer, int length);

#ifdef __cplusplus
}
#endif
#endif
