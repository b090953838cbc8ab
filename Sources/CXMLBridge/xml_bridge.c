#include "clinload_xml.h"
#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/parserInternals.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <stdatomic.h>

/* Options every clinload parse uses: never touch the network, never substitute
 * entities, never load an external DTD, keep libxml2's size limits (no HUGE). */
#define CLX_SAFE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

#define CLX_MAX_ALLOWED_DIRS 16
static char *allowed_dirs[CLX_MAX_ALLOWED_DIRS];
static int allowed_count = 0;
static pthread_mutex_t allowed_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_ulong refused_loads = 0;

static int clx_is_allowed(const char *url) {
    if (url == NULL) return 0;
    const char *path = url;
    if (strncmp(path, "file://", 7) == 0) path += 7;
    if (path[0] != '/' || strstr(path, "/../") != NULL) return 0;
    int allowed = 0;
    pthread_mutex_lock(&allowed_lock);
    for (int i = 0; i < allowed_count && !allowed; i++) {
        size_t n = strlen(allowed_dirs[i]);
        if (strncmp(path, allowed_dirs[i], n) == 0 && path[n] == '/') allowed = 1;
    }
    pthread_mutex_unlock(&allowed_lock);
    return allowed;
}

/* Every external load (DTD, entity, xs:include/import) passes through here. A
 * refusal returns NULL, which libxml2 treats as an unavailable resource. */
static xmlParserInputPtr clx_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
    (void)id;
    if (!clx_is_allowed(url)) {
        atomic_fetch_add(&refused_loads, 1);
        return NULL;
    }
    return xmlNewInputFromFile(ctxt, url);
}

static void clx_do_initialize(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(clx_entity_loader);
}

void clx_initialize(void) { pthread_once(&init_once, clx_do_initialize); }

int clx_allow_schema_dir(const char *absolute_dir) {
    if (absolute_dir == NULL || absolute_dir[0] != '/') return -1;
    clx_initialize();
    pthread_mutex_lock(&allowed_lock);
    int rc = -1;
    if (allowed_count < CLX_MAX_ALLOWED_DIRS) {
        size_t n = strlen(absolute_dir);
        while (n > 1 && absolute_dir[n - 1] == '/') n--;
        allowed_dirs[allowed_count] = strndup(absolute_dir, n);
        if (allowed_dirs[allowed_count] != NULL) { allowed_count++; rc = 0; }
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
