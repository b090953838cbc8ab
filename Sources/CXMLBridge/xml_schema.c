/* Compiling an XSD once, with its includes confined to a root folder. */
#include "xml_bridge_internal.h"
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct clx_schema {
    xmlSchemaPtr compiled;
};

/* Keeps the first error's code; the message (which may quote schema text) is dropped. */
typedef struct compile_errors {
    int first_code;
} compile_errors;

static void capture_first_error(void *context, xmlErrorPtr error) {
    compile_errors *errors = context;
    if (error != NULL && error->level >= XML_ERR_ERROR && errors->first_code == 0) errors->first_code = error->code;
}

static char *canonical_directory(const char *path) {
    char resolved[PATH_MAX];
    struct stat st;
    if (realpath(path, resolved) == NULL || stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return strdup(resolved);
}

static clx_schema *fail(clx_schema_failure *failure, const char *rule, int code) {
    if (failure != NULL) {
        failure->rule = rule;
        failure->code = code;
    }
    return NULL;
}

clx_schema *clx_schema_compile(const char *path, const char *root, clx_schema_failure *failure) {
    clx_initialize();
    if (failure != NULL) {
        failure->code = 0;
        failure->rule = NULL;
    }
    if (path == NULL) return fail(failure, "schema_unreadable", 0);

    /* Real paths first: the root check compares what the kernel will open. */
    char schema_path[PATH_MAX];
    if (realpath(path, schema_path) == NULL) return fail(failure, "schema_unreadable", 0);
    char *schema_root;
    if (root != NULL) {
        schema_root = canonical_directory(root);
    } else {
        char folder[PATH_MAX];
        strcpy(folder, schema_path);
        schema_root = canonical_directory(dirname(folder));
    }
    if (schema_root == NULL) return fail(failure, "root_invalid", 0);
    if (!clx_path_is_under(schema_path, schema_root)) {
        free(schema_root);
        return fail(failure, "outside_root", 0);
    }

    compile_errors errors = { 0 };
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(schema_path);
    if (parser == NULL) {
        free(schema_root);
        return fail(failure, "schema_compile", 0);
    }
    xmlSchemaSetParserStructuredErrors(parser, capture_first_error, &errors);
    /* libxml2 reads each schema document with an XML parser of its own that has
     * no handler: its errors reach this thread's default handler, borrowed here. */
    xmlStructuredErrorFunc saved_handler = xmlStructuredError;
    void *saved_context = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(&errors, capture_first_error);

    clx_loader_begin_schema_scope(schema_root);
    xmlSchemaPtr compiled = xmlSchemaParse(parser);
    unsigned long refused = clx_loader_end_schema_scope();

    xmlSetStructuredErrorFunc(saved_context, saved_handler);
    xmlSchemaFreeParserCtxt(parser);
    free(schema_root);

    /* libxml2 only warns about some includes it could not load and compiles the
     * rest: a refused load must fail the schema, never silently shrink it. */
    if (refused > 0) {
        if (compiled != NULL) xmlSchemaFree(compiled);
        return fail(failure, "include_refused", errors.first_code);
    }
    if (compiled == NULL) return fail(failure, "schema_compile", errors.first_code);

    clx_schema *schema = malloc(sizeof *schema);
    if (schema == NULL) {
        xmlSchemaFree(compiled);
        return fail(failure, "schema_compile", XML_ERR_NO_MEMORY);
    }
    schema->compiled = compiled;
    return schema;
}

void clx_schema_free(clx_schema *schema) {
    if (schema == NULL) return;
    xmlSchemaFree(schema->compiled);
    free(schema);
}

xmlSchemaPtr clx_schema_compiled(const clx_schema *schema) { return schema == NULL ? NULL : schema->compiled; }
