#ifndef CLINLOAD_XML_H
#define CLINLOAD_XML_H
/* The opaque C bridge over libxml2. Swift sees only these declarations, never a
 * libxml2 header (see CLibXML2/shim.h for why). Every string handed out is UTF-8
 * and owned by the bridge; none is ever a libxml2 message (messages quote values). */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Library set-up and the external-entity loader
 * ------------------------------------------------------------------------ */

/* Initialises libxml2 once per process, installs clinload's external-entity
 * loader, which refuses every load that is not under an allowed schema folder,
 * and silences libxml2's default error printers (they would print messages that
 * quote values). Safe to call repeatedly. */
void clx_initialize(void);

/* Adds a folder whose files the entity loader may open from any thread at any
 * time. The folder must exist and the path be absolute; it is canonicalised
 * (realpath) so later checks compare real paths. Returns 0 on success, -1 if the
 * list is full, the path is not absolute or the folder does not exist.
 * Schemas compiled with clx_schema_compile do not need this: their root is
 * honoured during their own compilation only. */
int clx_allow_schema_dir(const char *absolute_dir);

/* LIBXML_VERSION of the library actually linked, e.g. 20914. */
int clx_library_version(void);

/* The count of entity loads refused since start (for tests and diagnostics). */
unsigned long clx_refused_entity_loads(void);

/* Parses a whole in-memory document with clinload's safe options (NONET, no
 * entity substitution, no DTD loading) and returns 0 if well-formed, -1 if not.
 * A probe for tests of the hardening; feed extraction streams instead. */
int clx_probe_well_formed(const char *buffer, int length);

/* A test hook that proves the entity loader on its own: parses `buffer` with the
 * options clinload never uses (NOENT | DTDLOAD: substitute entities, load
 * external DTDs) and copies the root element's text content (at most
 * `capacity - 1` bytes, NUL-terminated) into `text`. Returns 0 if a document
 * was built, -1 if not. With the loader in place no file outside an allowed
 * folder can reach `text`. */
int clx_probe_entity_expansion(const char *buffer, int length, char *text, size_t capacity);

/* ------------------------------------------------------------------------
 * Prolog screen: DOCTYPE / ENTITY refused before libxml2 sees a byte
 * ------------------------------------------------------------------------ */

enum {
    CLX_SCREEN_OK = 0,
    CLX_SCREEN_DOCTYPE = 1,   /* a DOCTYPE (or any other markup declaration) in the prolog */
    CLX_SCREEN_ENTITY = 2,    /* an ENTITY declaration in the prolog */
    CLX_SCREEN_ENCODING = 3,  /* an encoding in which the screen could not see a DOCTYPE */
    CLX_SCREEN_UNREADABLE = -1
};

/* Screens the prolog (everything before the root element's start tag, never
 * more) of the file open at `fd`, reading with pread from offset 0 so the
 * descriptor's position is untouched and the same open file can then be parsed:
 * what was screened is what libxml2 reads. Returns a CLX_SCREEN_* value; on a
 * refusal *line receives the 1-based line of the declaration. */
int clx_screen_fd(int fd, int *line);

/* ------------------------------------------------------------------------
 * Schemas
 * ------------------------------------------------------------------------ */

typedef struct clx_schema clx_schema;

/* Why a schema did not compile (the rule name of a configuration error). */
typedef struct clx_schema_failure {
    int code;          /* libxml2 xmlParserErrors value of the first error, 0 if none */
    const char *rule;  /* static: "schema_unreadable", "root_invalid", "outside_root",
                          "include_refused", "schema_compile" */
} clx_schema_failure;

/* Compiles the XSD at `path` once. `root` (NULL: the schema file's folder) is the
 * only folder its xs:include / xs:import may read, and only while it compiles;
 * both are canonicalised first so "/../" and symlinks cannot leave it, and the
 * schema file itself must lie under it. Returns NULL and fills *failure on error. */
clx_schema *clx_schema_compile(const char *path, const char *root, clx_schema_failure *failure);
void clx_schema_free(clx_schema *schema);

/* ------------------------------------------------------------------------
 * Streaming reader
 * ------------------------------------------------------------------------ */

typedef struct clx_reader clx_reader;

enum { CLX_START_ELEMENT = 1, CLX_END_ELEMENT = 2, CLX_TEXT = 3 };

/* The current event, refreshed in place by clx_reader_next (one C call per
 * event). Names are interned in the parser's dictionary: the same name always
 * has the same pointer, valid for the reader's whole life, so callers may key
 * caches on it. `text` is valid until the next call. */
typedef struct clx_event {
    int kind;                          /* CLX_START_ELEMENT, CLX_END_ELEMENT, CLX_TEXT */
    int depth;                         /* root element = 0; text = its element's depth + 1 */
    long line;                         /* 1-based: where the start or end tag ends (libxml2's
                                          convention), or the text's first non-blank character */
    int is_empty;                      /* a start with nothing inside: its END follows at once */
    const unsigned char *local_name;   /* elements only */
    const unsigned char *namespace_uri;/* elements only; NULL = no namespace */
    const unsigned char *text;         /* text only: UTF-8, not NUL-terminated */
    size_t text_length;
    long long offset;                  /* bytes of the file consumed when the parser met it */
} clx_event;

/* One attribute of the current start element (namespace declarations excluded).
 * Pointers are valid until the next clx_reader_next. */
typedef struct clx_attribute {
    const unsigned char *local_name;    /* interned */
    const unsigned char *namespace_uri; /* interned; NULL = no namespace */
    const unsigned char *value;
    size_t value_length;
} clx_attribute;

/* One schema-validity problem. Never a libxml2 message: only where and which rule. */
typedef struct clx_issue {
    long line;
    int code;                       /* libxml2 xmlParserErrors value */
    const char *rule;               /* static rule name, e.g. "xsd_pattern"; NULL: use "xsd_<code>" */
    const unsigned char *element;   /* interned local name, or NULL */
    const unsigned char *attribute; /* interned local name, or NULL */
} clx_issue;

/* Why reading stopped. */
enum { CLX_FAILURE_MALFORMED = 0, CLX_FAILURE_UNSAFE = 1, CLX_FAILURE_UNREADABLE = 2 };
typedef struct clx_failure {
    int kind;          /* CLX_FAILURE_*: not well-formed; a DOCTYPE/ENTITY met by the
                          parser itself (rule "doctype"/"entity"); a read error */
    int code;          /* libxml2 xmlParserErrors value (errno for UNREADABLE; 0 if none) */
    long line;
    const char *rule;  /* static: "premature_end", "tag_mismatch", "not_well_formed", ... */
} clx_failure;

/* Opens a streaming reader on the file open at `fd` (which it takes over and
 * closes, also on failure) with the safe options, refusing any DOCTYPE inside the
 * parser too. `uri` is only the document's name for libxml2. With a schema, the
 * document is validated while it is read. Returns NULL if out of memory.
 *
 * Character data between two tags is one CLX_TEXT event (CDATA sections and
 * comments do not split it); a run of white space only is not reported. A run
 * longer than libxml2's own text limit (XML_MAX_TEXT_LENGTH, 10 MB) fails the
 * file with rule "limit_exceeded", as libxml2's tree builder would. */
clx_reader *clx_reader_open(int fd, const char *uri, const clx_schema *schema);
void clx_reader_free(clx_reader *reader);

/* The reader's event record (stable address for the reader's life). */
const clx_event *clx_reader_event(const clx_reader *reader);

/* Advances to the next event: 1 = an event, 0 = clean end of document, -1 = the
 * document is not well-formed (or unsafe, or unreadable): see clx_reader_failure.
 * After -1 every further call returns -1. */
int clx_reader_next(clx_reader *reader);

/* Iterates the attributes of the current start element: start with *cursor =
 * NULL; returns 1 and fills *out while there is one, then 0. */
int clx_reader_attribute(clx_reader *reader, const void **cursor, clx_attribute *out);

/* The current event's offset (clx_event.offset): for progress and record offsets. */
long long clx_reader_bytes_consumed(clx_reader *reader);

void clx_reader_failure(const clx_reader *reader, clx_failure *out);

/* Schema-validity issues due so far, oldest first: an issue is due once the
 * event it belongs with has been handed out (the start of the element for a
 * start tag or an attribute, its end for its content), as if validation ran in
 * step with the events although the parser runs a chunk ahead. After the end or
 * a failure every issue is due. clx_reader_clear_issues drops the due ones. */
size_t clx_reader_issue_count(const clx_reader *reader);
const clx_issue *clx_reader_issues(const clx_reader *reader);
void clx_reader_clear_issues(clx_reader *reader);
/* Issues not kept because too many were waiting (the queue is bounded). */
unsigned long clx_reader_dropped_issues(const clx_reader *reader);
/* 1 while no validity issue is due and no failure has occurred. */
int clx_reader_is_valid(const clx_reader *reader);

#ifdef __cplusplus
}
#endif
#endif
