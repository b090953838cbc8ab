/* libxml2 set-up and the external-entity loader: the one gate every external
 * load (DTD, entity, xs:include / xs:import) passes through. */
#include "xml_bridge_internal.h"
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLX_MAX_ALLOWED_DIRS 16
static char *allowed_dirs[CLX_MAX_ALLOWED_DIRS];
static int allowed_count = 0;
static pthread_mutex_t allowed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_ulong refused_loads = 0;

/* A schema's root is honoured only while that schema compiles, on the compiling
 * thread: reading a document never needs an external file, so a document's
 * DOCTYPE (were one ever to get past the screen) cannot reach schema files either. */
static _Thread_local const char *scope_root = NULL;
static _Thread_local unsigned long scope_refused = 0;

/* ---- paths ---------------------------------------------------------------- */

/* "scheme:" per RFC 3986 at the start of `s` (letters, digits, + - . then ':').
 * A single letter is not taken for a scheme only on Windows; here it is. */
static int has_scheme(const char *s) {
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
    for (const char *p = s + 1; *p; p++) {
        if (*p == ':') return 1;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '+' || *p == '-' || *p == '.')) return 0;
    }
    return 0;
}

static char *realpath_of(const char *path) {
    char resolved[PATH_MAX];
    if (realpath(path, resolved) == NULL) return NULL;
    return strdup(resolved);
}

char *clx_canonical_path(const char *path_or_url) {
    if (path_or_url == NULL || path_or_url[0] == '\0') return NULL;
    const char *path = path_or_url;
    int is_url = 0;
    if (strncmp(path, "file:", 5) == 0) {
        path += 5;
        if (strncmp(path, "//localhost/", 12) == 0) path += 11;
        else if (strncmp(path, "///", 3) == 0) path += 2;
        else if (strncmp(path, "//", 2) == 0) return NULL; /* file://otherhost/ */
        is_url = 1;
    } else if (has_scheme(path)) {
        return NULL; /* http:, ftp:, data:, ... never */
    }
    /* A URL's path is percent-encoded; a plain path is tried as it is first
     * (libxml2 builds include locations that are sometimes escaped, sometimes not). */
    char *canonical = is_url ? NULL : realpath_of(path);
    if (canonical == NULL && strchr(path, '%') != NULL) {
        char *decoded = xmlURIUnescapeString(path, 0, NULL);
        if (decoded != NULL) {
            canonical = realpath_of(decoded);
            xmlFree(decoded);
        }
    } else if (canonical == NULL && is_url) {
        canonical = realpath_of(path); /* nothing to decode */
    }
    return canonical;
}

int clx_path_is_under(const char *canonical, const char *canonical_dir) {
    if (canonical == NULL || canonical_dir == NULL) return 0;
    size_t n = strlen(canonical_dir);
    if (n == 1 && canonical_dir[0] == '/') return canonical[0] == '/';
    return strncmp(canonical, canonical_dir, n) == 0 && (canonical[n] == '/' || canonical[n] == '\0');
}

static int in_allowed_dirs(const char *canonical) {
    int allowed = 0;
    pthread_mutex_lock(&allowed_lock);
    for (int i = 0; i < allowed_count && !allowed; i++)
        allowed = clx_path_is_under(canonical, allowed_dirs[i]);
    pthread_mutex_unlock(&allowed_lock);
    return allowed;
}

/* ---- the loader ----------------------------------------------------------- */

/* A schema file with a DOCTYPE is refused like a document: libxml2 parses schema
 * documents with entity substitution on (XML_PARSE_NOENT, hard-wired). */
static int schema_file_is_safe(const char *canonical) {
    int fd = open(canonical, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int line = 0;
    int verdict = clx_screen_fd(fd, &line);
    close(fd);
    return verdict == CLX_SCREEN_OK;
}

/* A refusal returns NULL, which libxml2 treats as an unavailable resource (a
 * refused entity reads as empty text, a refused include fails the compile). */
static xmlParserInputPtr clx_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
    (void)id;
    char *canonical = clx_canonical_path(url);
    int allowed = canonical != NULL &&
                  ((scope_root != NULL && clx_path_is_under(canonical, scope_root)) || in_allowed_dirs(canonical)) &&
                  schema_file_is_safe(canonical);
    if (!allowed) {
        free(canonical);
        atomic_fetch_add(&refused_loads, 1);
        if (scope_root != NULL) scope_refused++;
        return NULL;
    }
    /* Open the canonical path, not the URL: what was checked is what is read. */
    xmlParserInputPtr input = xmlNewInputFromFile(ctxt, canonical);
    free(canonical);
    return input;
}

void clx_loader_begin_schema_scope(const char *canonical_root) {
    scope_root = canonical_root;
    scope_refused = 0;
}

unsigned long clx_loader_end_schema_scope(void) {
    scope_root = NULL;
    return scope_refused;
}

/* ---- set-up --------------------------------------------------------------- */

/* libxml2's default printers write messages that quote values to stderr; every
 * clinload context installs its own handler, these catch whatever has none. */
static void silent_generic(void *ctx, const char *msg, ...) { (void)ctx; (void)msg; }
static void silent_structured(void *ctx, xmlErrorPtr error) { (void)ctx; (void)error; }

static void clx_do_initialize(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(clx_entity_loader);
    xmlThrDefSetGenericErrorFunc(NULL, silent_generic);
    xmlThrDefSetStructuredErrorFunc(NULL, silent_structured);
    xmlSetGenericErrorFunc(NULL, silent_generic);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
}

void clx_initialize(void) { pthread_once(&init_once, clx_do_initialize); }

int clx_allow_schema_dir(const char *absolute_dir) {
    if (absolute_dir == NULL || absolute_dir[0] != '/') return -1;
    clx_initialize();
    char *canonical = realpath_of(absolute_dir);
    if (canonical == NULL) return -1;
    pthread_mutex_lock(&allowed_lock);
    int rc = -1;
    for (int i = 0; i < allowed_count; i++)
        if (strcmp(allowed_dirs[i], canonical) == 0) rc = 0;
    if (rc == 0) {
        free(canonical);
    } else if (allowed_count < CLX_MAX_ALLOWED_DIRS) {
        allowed_dirs[allowed_count++] = canonical;
        rc = 0;
    } else {
        free(canonical);
    }
    pthread_mutex_unlock(&allowed_lock);
    return rc;
}

int clx_library_version(void) {
    clx_initialize();
    return xmlParserVersion == NULL ? 0 : atoi(xmlParserVersion);
}

unsigned long clx_refused_entity_loads(void) { return atomic_load(&refused_loads); }

int clx_probe_well_formed(const char *buffer, int length) {
    clx_initialize();
    xmlDocPtr doc = xmlReadMemory(buffer, length, "probe.xml", NULL, CLX_SAFE_OPTIONS);
    if (doc == NULL) return -1;
    xmlFreeDoc(doc);
    return 0;
}

int clx_probe_entity_expansion(const char *buffer, int length, char *text, size_t capacity) {
    clx_initialize();
    if (text != NULL && capacity > 0) text[0] = '\0';
    xmlDocPtr doc = xmlReadMemory(buffer, length, "probe.xml", NULL,
                                  CLX_SAFE_OPTIONS | XML_PARSE_NOENT | XML_PARSE_DTDLOAD);
    if (doc == NULL) return -1;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlChar *content = root != NULL ? xmlNodeGetContent(root) : NULL;
    if (content != NULL && text != NULL && capacity > 0) {
        size_t n = strlen((const char *)content);
        if (n >= capacity) n = capacity - 1;
        memcpy(text, content, n);
        text[n] = '\0';
    }
    if (content != NULL) xmlFree(content);
    xmlFreeDoc(doc);
    return 0;
}
