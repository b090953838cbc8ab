/* The streaming reader: libxml2's push parser fed 64 KiB at a time, with XSD
 * validation plugged into its SAX stream, turned into one event per C call.
 *
 * Why not xmlTextReader itself: libxml2 2.9.14 gives no public access to the
 * reader's parser context, and clinload needs it for three things the reader
 * cannot do: stop the parser at a DOCTYPE (the prolog screen's backstop), keep
 * exact line numbers (the reader's node->line saturates at 65,535 and its parser
 * line runs ahead of the node), and hear well-formedness errors once a schema is
 * plugged in (2.9.14's reader loses them: a truncated file then reports only -1).
 * xmlTextReader validates through the same xmlSchemaSAXPlug used here, so
 * validation is the same; no document tree is built at all.
 *
 * Events are queued while a chunk is parsed and handed out one by one; their
 * text and attribute values live in an arena that is reused once the queue is
 * drained, so memory stays flat (a chunk's worth of events, or one text node). */
#include "xml_bridge_internal.h"
#include "xml_rules.h"
#include <libxml/dict.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLX_CHUNK_BYTES 65536
/* Validity issues waiting for the caller; past this many they are only counted
 * (memory stays flat however invalid a file is). */
#define CLX_MAX_PENDING_ISSUES 4096

enum { RUNNING = 0, ENDED = 1, FAILED = -1 };

typedef struct queued_event {
    unsigned long long sequence; /* 1, 2, 3... in document order */
    int kind, depth, is_empty;
    long line;
    long long offset;
    const xmlChar *local_name, *namespace_uri;
    size_t text_start, text_length;          /* in the arena */
    size_t attribute_first, attribute_count; /* in the attribute queue */
} queued_event;

typedef struct queued_attribute {
    const xmlChar *local_name, *namespace_uri;
    size_t value_start, value_length; /* in the arena */
} queued_attribute;

struct clx_reader {
    int fd;
    int state;
    xmlSAXHandler sax;
    xmlParserCtxtPtr parser;
    xmlSchemaValidCtxtPtr validator;
    xmlSchemaSAXPlugPtr plug;
    unsigned char *chunk;
    int terminating;   /* the end of input was signalled to the parser */
    int read_errno;

    /* the queue: events [head, count) are still to be handed out */
    queued_event *events;
    size_t head, count, event_capacity;
    queued_attribute *attributes;
    size_t attribute_count, attribute_capacity;
    unsigned char *arena;
    size_t arena_used, arena_capacity;

    /* the character data being gathered (the last queued event), if any; white
     * space is held aside until something else arrives, so a blank run between
     * two tags (most character data of a feed) is never queued at all */
    int text_open;
    unsigned char *blank;
    size_t blank_length, blank_capacity;
    size_t blank_before_markup; /* held blanks that precede the last comment or PI */

    /* what the parser has seen so far (it runs ahead of the events) */
    long open_elements;
    int root_seen, root_closed;
    long markup_line;         /* where the last tag, comment or PI ended */
    long long markup_offset;

    clx_event event;          /* the event handed out last */
    size_t event_attribute_first, event_attribute_count;

    int failed;
    clx_failure failure;

    /* Validity issues in document order, each tagged with the sequence number
     * of the event it belongs with (the element's start for a start tag or an
     * attribute, its end for its content): it is handed out only once that event
     * has been, as if the validator ran in step with the events. */
    clx_issue *issues;
    unsigned long long *issue_sequences;
    size_t issue_count, issue_capacity, sequence_capacity;
    unsigned long dropped_issues;
    unsigned long long next_sequence;      /* of the next event queued */
    unsigned long long delivered_sequence; /* of the last event handed out */
    int has_issue;
    unsigned long long first_issue_sequence;
};

/* ---- positions ------------------------------------------------------------ */

static long parser_line(const xmlParserCtxtPtr ctxt) {
    return (ctxt != NULL && ctxt->input != NULL) ? ctxt->input->line : 0;
}

/* Bytes of the file consumed by the parser: exact for UTF-8 input (the feeds'
 * encoding); libxml2's own count, which re-encodes, for anything else. */
static long long parser_offset(const xmlParserCtxtPtr ctxt) {
    xmlParserInputPtr input = ctxt->input;
    if (input == NULL) return 0;
    if (input->buf != NULL && input->buf->encoder != NULL) return xmlByteConsumed(ctxt);
    return (long long)input->consumed + (input->cur - input->base);
}

/* ---- the queue ------------------------------------------------------------ */

static int grow(void **items, size_t *capacity, size_t needed, size_t size) {
    if (needed <= *capacity) return 1;
    size_t capacity_now = *capacity == 0 ? 64 : *capacity;
    while (capacity_now < needed) capacity_now *= 2;
    void *grown = realloc(*items, capacity_now * size);
    if (grown == NULL) return 0;
    *items = grown;
    *capacity = capacity_now;
    return 1;
}

static void fail_with(clx_reader *r, int kind, int code, long line, const char *rule) {
    if (r->failed) return; /* the first cause is the one that matters */
    r->failed = 1;
    r->failure.kind = kind;
    r->failure.code = code;
    r->failure.line = line;
    r->failure.rule = rule;
}

static void out_of_memory(clx_reader *r) {
    fail_with(r, CLX_FAILURE_MALFORMED, XML_ERR_NO_MEMORY, parser_line(r->parser), "out_of_memory");
    xmlStopParser(r->parser);
}

/* Appends bytes to the arena; returns their start, or SIZE_MAX when out of memory. */
static size_t arena_append(clx_reader *r, const unsigned char *bytes, size_t length) {
    if (!grow((void **)&r->arena, &r->arena_capacity, r->arena_used + length + 1, 1)) {
        out_of_memory(r);
        return SIZE_MAX;
    }
    size_t start = r->arena_used;
    memcpy(r->arena + start, bytes, length);
    r->arena_used += length;
    return start;
}

static queued_event *queue_event(clx_reader *r, int kind, int depth, long line) {
    if (!grow((void **)&r->events, &r->event_capacity, r->count + 1, sizeof(queued_event))) {
        out_of_memory(r);
        return NULL;
    }
    queued_event *e = &r->events[r->count++];
    memset(e, 0, sizeof *e);
    e->sequence = r->next_sequence++;
    e->kind = kind;
    e->depth = depth;
    e->line = line;
    return e;
}

static int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Length of the white space that starts `text`. */
static size_t blank_prefix(const unsigned char *text, size_t length) {
    size_t i = 0;
    while (i < length && is_blank(text[i])) i++;
    return i;
}

static long newlines(const unsigned char *text, size_t length) {
    long count = 0;
    for (size_t i = 0; i < length; i++) count += text[i] == '\n';
    return count;
}

/* Ends the run of character data being gathered: markup follows. A run of
 * white space only is dropped unseen. */
static void close_text(clx_reader *r) {
    r->text_open = 0;
    r->blank_length = 0;
    r->blank_before_markup = 0;
}

/* ---- failures and issues -------------------------------------------------- */

static const unsigned char *intern_span(clx_reader *r, const char *start, size_t length) {
    if (start == NULL || length == 0) return NULL;
    return xmlDictLookup(r->parser->dict, (const xmlChar *)start, (int)length);
}

/* The schema plug hands each SAX callback to ours first and validates after, so
 * an issue belongs with the event queued last (the start of the element for its
 * start tag and attributes, its end for its content). */
static void record_validity_issue(clx_reader *r, const xmlError *error) {
    unsigned long long sequence = r->next_sequence - 1;
    if (!r->has_issue) {
        r->has_issue = 1;
        r->first_issue_sequence = sequence;
    }
    if (r->issue_count >= CLX_MAX_PENDING_ISSUES ||
        !grow((void **)&r->issues, &r->issue_capacity, r->issue_count + 1, sizeof(clx_issue)) ||
        !grow((void **)&r->issue_sequences, &r->sequence_capacity, r->issue_count + 1, sizeof(unsigned long long))) {
        r->dropped_issues++;
        return;
    }
    r->issue_sequences[r->issue_count] = sequence;
    const char *element, *attribute;
    size_t element_length, attribute_length;
    clx_validity_names(error->message, &element, &element_length, &attribute, &attribute_length);
    clx_issue *issue = &r->issues[r->issue_count++];
    issue->line = error->line > 0 ? error->line : parser_line(r->parser);
    issue->code = error->code;
    issue->rule = clx_validity_rule(error->code, error->message);
    issue->element = intern_span(r, element, element_length);
    issue->attribute = intern_span(r, attribute, attribute_length);
}

/* The rule for a well-formedness error, from its code and from what the parser
 * had seen: libxml2's push parser reports a file cut short as "extra content at
 * the end of the document" (XML_ERR_DOCUMENT_END), or as whatever token the cut
 * left unfinished once the end of input is signalled. */
static const char *wellformedness_rule(const clx_reader *r, int code) {
    if (code == XML_ERR_DOCUMENT_END || code == XML_ERR_DOCUMENT_EMPTY) {
        if (!r->root_seen) return "no_root_element";
        if (r->open_elements > 0) return "premature_end";
        return "content_after_root";
    }
    if (r->terminating) return "premature_end";
    return clx_wellformedness_rule(code);
}

static void record_error(clx_reader *r, const xmlError *error) {
    if (error == NULL || error->level < XML_ERR_ERROR) return; /* warnings carry no verdict */
    if (error->domain == XML_FROM_SCHEMASV) {
        record_validity_issue(r, error);
        return;
    }
    fail_with(r, CLX_FAILURE_MALFORMED, error->code, error->line > 0 ? error->line : parser_line(r->parser),
              wellformedness_rule(r, error->code));
}

/* Validity errors come from the validation context, with our pointer. */
static void on_validity_error(void *reader, xmlErrorPtr error) { record_error(reader, error); }

/* Parser errors: the SAX user data is the schema plug's once one is plugged,
 * so the reader is found through the error's own parser context. */
static void on_parser_error(void *user_data, xmlErrorPtr error) {
    (void)user_data;
    if (error == NULL || error->ctxt == NULL) return;
    clx_reader *r = ((xmlParserCtxtPtr)error->ctxt)->_private;
    if (r != NULL) record_error(r, error);
}

/* libxml2 asks where the validator is: the parser's line (it has no node). */
static int locate_validation(void *reader, const char **file, unsigned long *line) {
    clx_reader *r = reader;
    *file = NULL;
    *line = (unsigned long)parser_line(r->parser);
    return 0;
}

/* ---- SAX callbacks (ctx is always our parser context) --------------------- */

static clx_reader *reader_of(void *ctx) { return ((xmlParserCtxtPtr)ctx)->_private; }

static void mark_markup_end(clx_reader *r) {
    r->markup_line = parser_line(r->parser);
    r->markup_offset = parser_offset(r->parser);
}

/* Attribute values reach SAX2 callbacks with '&' written "&#38;" (libxml2
 * leaves the decoding to its tree builder when entities are not substituted);
 * without a DTD no other reference can remain. */
static size_t append_attribute_value(clx_reader *r, const xmlChar *value, const xmlChar *end) {
    size_t length = (size_t)(end - value);
    if (memchr(value, '&', length) == NULL) return arena_append(r, value, length);
    size_t start = SIZE_MAX;
    const xmlChar *run = value;
    for (const xmlChar *p = value; p < end; p++) {
        if (*p == '&' && end - p >= 5 && memcmp(p, "&#38;", 5) == 0) {
            size_t at = arena_append(r, run, (size_t)(p - run));
            if (at == SIZE_MAX || arena_append(r, (const xmlChar *)"&", 1) == SIZE_MAX) return SIZE_MAX;
            if (start == SIZE_MAX) start = at;
            p += 4;
            run = p + 1;
        }
    }
    size_t at = arena_append(r, run, (size_t)(end - run));
    if (at == SIZE_MAX) return SIZE_MAX;
    return start == SIZE_MAX ? at : start;
}

static void on_start_element(void *ctx, const xmlChar *local_name, const xmlChar *prefix, const xmlChar *uri,
                             int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                             const xmlChar **attributes) {
    (void)prefix;
    (void)nb_namespaces;
    (void)namespaces;
    (void)nb_defaulted;
    clx_reader *r = reader_of(ctx);
    close_text(r);
    mark_markup_end(r);
    queued_event *e = queue_event(r, CLX_START_ELEMENT, (int)r->open_elements, r->markup_line);
    if (e == NULL) return;
    e->offset = r->markup_offset;
    e->local_name = local_name; /* interned by the parser's dictionary */
    e->namespace_uri = uri;     /* likewise */
    e->attribute_first = r->attribute_count;
    /* Namespace declarations arrive in `namespaces`, never among attributes. */
    for (int i = 0; i < nb_attributes; i++) {
        const xmlChar **a = attributes + 5 * i; /* local name, prefix, URI, value, value end */
        if (!grow((void **)&r->attributes, &r->attribute_capacity, r->attribute_count + 1, sizeof(queued_attribute))) {
            out_of_memory(r);
            return;
        }
        size_t start = append_attribute_value(r, a[3], a[4]);
        if (start == SIZE_MAX) return;
        queued_attribute *qa = &r->attributes[r->attribute_count++];
        qa->local_name = a[0];
        qa->namespace_uri = a[2];
        qa->value_start = start;
        qa->value_length = r->arena_used - start;
    }
    e->attribute_count = r->attribute_count - e->attribute_first;
    r->root_seen = 1;
    r->open_elements++;
}

static void on_end_element(void *ctx, const xmlChar *local_name, const xmlChar *prefix, const xmlChar *uri) {
    (void)prefix;
    clx_reader *r = reader_of(ctx);
    close_text(r);
    mark_markup_end(r);
    r->open_elements--;
    /* An element with nothing in it (<a/> or <a></a>): its start is last in the queue. */
    if (r->count > r->head) {
        queued_event *last = &r->events[r->count - 1];
        if (last->kind == CLX_START_ELEMENT && last->depth == (int)r->open_elements) last->is_empty = 1;
    }
    queued_event *e = queue_event(r, CLX_END_ELEMENT, (int)r->open_elements, r->markup_line);
    if (e == NULL) return;
    e->offset = r->markup_offset;
    e->local_name = local_name;
    e->namespace_uri = uri;
    if (r->open_elements == 0) r->root_closed = 1;
}

/* Character data (text, CDATA sections, white space) is gathered into one event
 * per run between tags; comments and PIs do not split a run. */
static void on_character_data(void *ctx, const xmlChar *text, int length) {
    clx_reader *r = reader_of(ctx);
    if (r->open_elements == 0 || length <= 0) return; /* outside the root: white space only */
    size_t n = (size_t)length;
    if (!r->text_open) {
        size_t blanks = blank_prefix(text, n);
        if (r->blank_length + n > XML_MAX_TEXT_LENGTH) {
            fail_with(r, CLX_FAILURE_MALFORMED, XML_ERR_INTERNAL_ERROR, parser_line(r->parser), "limit_exceeded");
            xmlStopParser(r->parser);
            return;
        }
        if (blanks == n) { /* still white space only: hold it aside */
            if (!grow((void **)&r->blank, &r->blank_capacity, r->blank_length + n, 1)) {
                out_of_memory(r);
                return;
            }
            memcpy(r->blank + r->blank_length, text, n);
            r->blank_length += n;
            return;
        }
        /* Content: the run becomes an event, its line that of the first non-blank character. */
        long line = r->markup_line + newlines(r->blank + r->blank_before_markup, r->blank_length - r->blank_before_markup) +
                    newlines(text, blanks);
        queued_event *e = queue_event(r, CLX_TEXT, (int)r->open_elements, line);
        if (e == NULL) return;
        e->offset = r->markup_offset;
        e->text_start = r->arena_used;
        if (r->blank_length > 0 && arena_append(r, r->blank, r->blank_length) == SIZE_MAX) return;
        e->text_length = r->blank_length;
        r->blank_length = 0;
        r->blank_before_markup = 0;
        r->text_open = 1;
    }
    queued_event *e = &r->events[r->count - 1];
    if (e->text_length + n > XML_MAX_TEXT_LENGTH) {
        fail_with(r, CLX_FAILURE_MALFORMED, XML_ERR_INTERNAL_ERROR, parser_line(r->parser), "limit_exceeded");
        xmlStopParser(r->parser);
        return;
    }
    if (arena_append(r, text, n) == SIZE_MAX) return;
    e->text_length += n;
}

/* A comment or PI inside a run of blanks moves the line the run's content is
 * counted from; one inside text changes nothing. */
static void note_markup_inside_character_data(clx_reader *r) {
    if (r->text_open) return;
    mark_markup_end(r);
    r->blank_before_markup = r->blank_length;
}

static void on_comment(void *ctx, const xmlChar *value) {
    (void)value;
    note_markup_inside_character_data(reader_of(ctx));
}

static void on_processing_instruction(void *ctx, const xmlChar *target, const xmlChar *data) {
    (void)target;
    (void)data;
    note_markup_inside_character_data(reader_of(ctx));
}

/* A DOCTYPE reached the parser: stop before its internal subset is read, so no
 * entity is ever declared, let alone expanded or fetched. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id) {
    (void)name;
    (void)external_id;
    (void)system_id;
    clx_reader *r = reader_of(ctx);
    fail_with(r, CLX_FAILURE_UNSAFE, XML_ERR_USER_STOP, parser_line(r->parser), "doctype");
    xmlStopParser(r->parser);
}

static void on_entity_declaration(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                                  const xmlChar *system_id, xmlChar *content) {
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    clx_reader *r = reader_of(ctx);
    fail_with(r, CLX_FAILURE_UNSAFE, XML_ERR_USER_STOP, parser_line(r->parser), "entity");
    xmlStopParser(r->parser);
}

/* Only these callbacks: no tree builder, no entity resolver (an undeclared
 * entity is then a fatal error), no DTD handling beyond refusing it. */
static void set_up_sax(xmlSAXHandler *sax) {
    memset(sax, 0, sizeof *sax);
    sax->initialized = XML_SAX2_MAGIC;
    sax->startElementNs = on_start_element;
    sax->endElementNs = on_end_element;
    sax->characters = on_character_data;
    sax->ignorableWhitespace = on_character_data;
    sax->cdataBlock = on_character_data;
    sax->comment = on_comment;
    sax->processingInstruction = on_processing_instruction;
    sax->internalSubset = on_doctype;
    sax->entityDecl = on_entity_declaration;
    sax->serror = on_parser_error;
}

/* ---- life cycle ----------------------------------------------------------- */

/* Reads the next chunk; returns its length, 0 at the end, -1 on a read error. */
static ssize_t read_chunk(clx_reader *r) {
    ssize_t n;
    do {
        n = read(r->fd, r->chunk, CLX_CHUNK_BYTES);
    } while (n < 0 && errno == EINTR);
    if (n < 0) r->read_errno = errno;
    return n;
}

clx_reader *clx_reader_open(int fd, const char *uri, const clx_schema *schema) {
    clx_initialize();
    clx_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        close(fd);
        return NULL;
    }
    r->fd = fd;
    r->chunk = malloc(CLX_CHUNK_BYTES);
    if (r->chunk == NULL) {
        clx_reader_free(r);
        return NULL;
    }
    set_up_sax(&r->sax);
    /* The parser detects the encoding from the first bytes, which come with the
     * first chunk; our own reads (not a file name) keep libxml2 from opening the
     * path again or decompressing gzip input behind the screen's back. */
    r->parser = xmlCreatePushParserCtxt(&r->sax, NULL, NULL, 0, uri);
    if (r->parser == NULL) {
        clx_reader_free(r);
        return NULL;
    }
    xmlCtxtUseOptions(r->parser, CLX_SAFE_OPTIONS);
    r->parser->_private = r;
    r->markup_line = 1;
    r->next_sequence = 1;
    if (schema != NULL) {
        r->validator = xmlSchemaNewValidCtxt(clx_schema_compiled(schema));
        if (r->validator == NULL) {
            clx_reader_free(r);
            return NULL;
        }
        /* Handlers before the plug: 2.9.14 crashed when they came after. */
        xmlSchemaSetValidStructuredErrors(r->validator, on_validity_error, r);
        r->plug = xmlSchemaSAXPlug(r->validator, &r->parser->sax, &r->parser->userData);
        if (r->plug == NULL) {
            clx_reader_free(r);
            return NULL;
        }
        xmlSchemaValidateSetLocator(r->validator, locate_validation, r);
        /* The plug put its own SAX table in front of ours; it forwards every
         * callback to ours except errors. */
        r->parser->sax->serror = on_parser_error;
    }
    return r;
}

void clx_reader_free(clx_reader *r) {
    if (r == NULL) return;
    if (r->plug != NULL) xmlSchemaSAXUnplug(r->plug);
    if (r->validator != NULL) xmlSchemaFreeValidCtxt(r->validator);
    if (r->parser != NULL) xmlFreeParserCtxt(r->parser);
    if (r->fd >= 0) close(r->fd);
    free(r->chunk);
    free(r->events);
    free(r->attributes);
    free(r->arena);
    free(r->blank);
    free(r->issues);
    free(r->issue_sequences);
    free(r);
}

const clx_event *clx_reader_event(const clx_reader *r) { return &r->event; }

/* ---- events --------------------------------------------------------------- */

static int stop_with_failure(clx_reader *r) {
    if (!r->failed) {
        if (r->read_errno != 0) {
            fail_with(r, CLX_FAILURE_UNREADABLE, r->read_errno, parser_line(r->parser), "unreadable");
        } else {
            int code = r->parser->errNo != 0 ? r->parser->errNo : XML_ERR_INTERNAL_ERROR;
            fail_with(r, CLX_FAILURE_MALFORMED, code, parser_line(r->parser), wellformedness_rule(r, code));
        }
    }
    r->state = FAILED;
    r->delivered_sequence = ULLONG_MAX; /* every issue is due now */
    return -1;
}

/* Makes room for the next chunk's events: everything handed out is dropped; a
 * run of character data still being gathered moves to the front. */
static void recycle_queue(clx_reader *r) {
    if (r->text_open && r->count == r->head + 1) {
        queued_event *open_text = &r->events[r->head];
        memmove(r->arena, r->arena + open_text->text_start, open_text->text_length);
        open_text->text_start = 0;
        r->arena_used = open_text->text_length;
        r->events[0] = *open_text;
        r->count = 1;
    } else {
        r->arena_used = 0;
        r->count = 0;
    }
    r->head = 0;
    r->attribute_count = 0;
}

/* 1 when the queue holds an event that can be handed out (not a run of
 * character data that the next chunk may continue). */
static int has_ready_event(const clx_reader *r) {
    return r->count > r->head + (r->text_open ? 1 : 0);
}

static void finish_validation(clx_reader *r) {
    if (r->validator != NULL && xmlSchemaIsValid(r->validator) != 1 && !r->has_issue) {
        /* libxml2 found the document invalid without saying why. */
        xmlError unexplained;
        memset(&unexplained, 0, sizeof unexplained);
        unexplained.domain = XML_FROM_SCHEMASV;
        unexplained.level = XML_ERR_ERROR;
        unexplained.code = XML_SCHEMAV_INTERNAL;
        unexplained.line = (int)parser_line(r->parser);
        record_validity_issue(r, &unexplained);
    }
}

int clx_reader_next(clx_reader *r) {
    if (r->state != RUNNING) return r->state == ENDED ? 0 : -1;
    if (r->failed) return stop_with_failure(r);
    if (!has_ready_event(r) && !r->terminating) recycle_queue(r);
    while (!has_ready_event(r)) {
        if (r->terminating) {
            close_text(r);
            if (has_ready_event(r)) break;
            if (!r->root_closed) {
                fail_with(r, CLX_FAILURE_MALFORMED, XML_ERR_DOCUMENT_END, parser_line(r->parser),
                          r->root_seen ? "premature_end" : "no_root_element");
                return stop_with_failure(r);
            }
            finish_validation(r);
            r->state = ENDED;
            r->delivered_sequence = ULLONG_MAX;
            return 0;
        }
        ssize_t n = read_chunk(r);
        if (n < 0) return stop_with_failure(r);
        if (n == 0) r->terminating = 1;
        int rc = xmlParseChunk(r->parser, (const char *)r->chunk, (int)n, r->terminating);
        /* Any error, even one met while parsing ahead of the events, fails the
         * whole file now; a non-zero return is always a failure. */
        if (rc != 0 || r->failed || !r->parser->wellFormed) return stop_with_failure(r);
    }

    queued_event *e = &r->events[r->head++];
    r->delivered_sequence = e->sequence;
    clx_event *ev = &r->event;
    ev->kind = e->kind;
    ev->depth = e->depth;
    ev->line = e->line;
    ev->is_empty = e->is_empty;
    ev->local_name = e->local_name;
    ev->namespace_uri = e->namespace_uri;
    ev->text = e->kind == CLX_TEXT ? r->arena + e->text_start : NULL;
    ev->text_length = e->kind == CLX_TEXT ? e->text_length : 0;
    ev->offset = e->offset;
    r->event_attribute_first = e->attribute_first;
    r->event_attribute_count = e->kind == CLX_START_ELEMENT ? e->attribute_count : 0;
    return 1;
}

int clx_reader_attribute(clx_reader *r, const void **cursor, clx_attribute *out) {
    size_t index = (size_t)(uintptr_t)*cursor;
    if (r->state != RUNNING || index >= r->event_attribute_count) return 0;
    const queued_attribute *a = &r->attributes[r->event_attribute_first + index];
    out->local_name = a->local_name;
    out->namespace_uri = a->namespace_uri;
    out->value = r->arena + a->value_start;
    out->value_length = a->value_length;
    *cursor = (const void *)(uintptr_t)(index + 1);
    return 1;
}

long long clx_reader_bytes_consumed(clx_reader *r) { return r->event.offset; }

void clx_reader_failure(const clx_reader *r, clx_failure *out) {
    if (r->failed) {
        *out = r->failure;
    } else {
        memset(out, 0, sizeof *out);
    }
}

/* Issues are in document order: those due form a prefix. */
size_t clx_reader_issue_count(const clx_reader *r) {
    size_t due = 0;
    while (due < r->issue_count && r->issue_sequences[due] <= r->delivered_sequence) due++;
    return due;
}

const clx_issue *clx_reader_issues(const clx_reader *r) { return r->issues; }

void clx_reader_clear_issues(clx_reader *r) {
    size_t due = clx_reader_issue_count(r);
    size_t rest = r->issue_count - due;
    if (due > 0 && rest > 0) {
        memmove(r->issues, r->issues + due, rest * sizeof *r->issues);
        memmove(r->issue_sequences, r->issue_sequences + due, rest * sizeof *r->issue_sequences);
    }
    r->issue_count = rest;
}

unsigned long clx_reader_dropped_issues(const clx_reader *r) { return r->dropped_issues; }

int clx_reader_is_valid(const clx_reader *r) {
    return !r->failed && (!r->has_issue || r->first_issue_sequence > r->delivered_sequence);
}
