/* The prolog screen: refuses a document whose prolog holds a DOCTYPE (the only
 * place ENTITY declarations can live) before libxml2 sees a byte of it. libxml2
 * expands entities during XSD validation even without XML_PARSE_NOENT (4,000
 * references took 68 s and 790 MB here), and clinical feeds never need a DTD.
 *
 * It reads only the prolog: the XML declaration, processing instructions,
 * comments and white space up to the root element's start tag. Anything else it
 * lets through: libxml2 refuses it as not well-formed at once. */
#include "xml_bridge_internal.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define SCREEN_BUFFER_BYTES 65536
/* An XML declaration is a few dozen bytes; anything longer is not one we accept. */
#define XML_DECLARATION_MAX 512

typedef struct prolog_source {
    int fd;
    off_t next_offset;
    size_t length, position;
    int failed;
    int line;
    unsigned char buffer[SCREEN_BUFFER_BYTES];
} prolog_source;

static int refill(prolog_source *s) {
    ssize_t n;
    do {
        n = pread(s->fd, s->buffer, sizeof s->buffer, s->next_offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        s->failed = 1;
        return 0;
    }
    s->next_offset += n;
    s->length = (size_t)n;
    s->position = 0;
    return n > 0;
}

/* The next byte, or -1 at the end of the file (or on a read error). */
static int next_byte(prolog_source *s) {
    if (s->position >= s->length && !refill(s)) return -1;
    int c = s->buffer[s->position++];
    if (c == '\n') s->line++;
    return c;
}

static int is_xml_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Encodings in which every byte below 0x80 means its ASCII character, so what
 * this screen sees as "<!DOCTYPE" is what libxml2 would decode. UTF-7, EBCDIC,
 * UTF-16/32 and ISO-2022 are not: there a DOCTYPE could hide from a byte scan. */
static int encoding_is_ascii_compatible(const char *name) {
    static const char *const exact[] = {
        "UTF-8", "UTF8", "US-ASCII", "ASCII", "LATIN1", "ISO-LATIN-1", "SHIFT_JIS", "SJIS",
        "EUC-JP", "EUC-KR", "GB2312", "GBK", "GB18030", "BIG5",
    };
    static const char *const prefixes[] = { "ISO-8859-", "ISO8859-", "ISO_8859-", "WINDOWS-125", "CP125" };
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcasecmp(name, exact[i]) == 0) return 1;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncasecmp(name, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

/* Checks the encoding pseudo-attribute of an XML declaration's body
 * ("xml version='1.0' encoding='...'"). No encoding declared means UTF-8. */
static int declaration_encoding_is_safe(const char *body) {
    const char *p = strstr(body, "encoding");
    if (p == NULL) return 1;
    p += 8;
    while (is_xml_space(*p)) p++;
    if (*p++ != '=') return 0;
    while (is_xml_space(*p)) p++;
    char quote = *p++;
    if (quote != '"' && quote != '\'') return 0;
    const char *end = strchr(p, quote);
    if (end == NULL || end - p >= 64) return 0;
    char name[64];
    memcpy(name, p, (size_t)(end - p));
    name[end - p] = '\0';
    return encoding_is_ascii_compatible(name);
}

/* Byte-order marks and first bytes of encodings the screen cannot read. */
static int starts_unreadably(const unsigned char *b, size_t n) {
    if (n >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE))) return 1; /* UTF-16/32 */
    if (n >= 4 && b[0] == 0x4C && b[1] == 0x6F && b[2] == 0xA7 && b[3] == 0x94) return 1;        /* EBCDIC "<?xm" */
    if (n >= 1 && b[0] == 0x00) return 1;                                                          /* UTF-16BE/32 */
    if (n >= 2 && b[1] == 0x00) return 1;                                                          /* UTF-16LE/32 */
    return 0;
}

/* Skips to just past the end of a comment ("-->"). Returns 1 there, 0 at the
 * end of the file, -1 on a NUL byte (an encoding the screen cannot read). */
static int skip_comment(prolog_source *s) {
    int hyphens = 0;
    for (;;) {
        int c = next_byte(s);
        if (c < 0) return 0;
        if (c == 0) return -1;
        if (c == '>' && hyphens >= 2) return 1;
        hyphens = (c == '-') ? hyphens + 1 : 0;
    }
}

static int screen(prolog_source *s, int *line);

int clx_screen_fd(int fd, int *line) {
    prolog_source *s = malloc(sizeof *s);
    if (s == NULL) return CLX_SCREEN_UNREADABLE;
    memset(s, 0, offsetof(prolog_source, buffer));
    s->fd = fd;
    int verdict = screen(s, line);
    free(s);
    return verdict;
}

static int screen(prolog_source *s, int *line) {
    s->line = 1;
    if (line != NULL) *line = 1;

    if (!refill(s)) return s->failed ? CLX_SCREEN_UNREADABLE : CLX_SCREEN_OK;
    if (s->length >= 3 && s->buffer[0] == 0xEF && s->buffer[1] == 0xBB && s->buffer[2] == 0xBF)
        s->position = 3;
    else if (starts_unreadably(s->buffer, s->length))
        return CLX_SCREEN_ENCODING;

    int first_markup = 1;
    for (;;) {
        int c = next_byte(s);
        if (c < 0) return s->failed ? CLX_SCREEN_UNREADABLE : CLX_SCREEN_OK;
        if (is_xml_space(c)) {
            first_markup = 0;
            continue;
        }
        if (c == 0) return CLX_SCREEN_ENCODING;
        if (c != '<') return CLX_SCREEN_OK; /* not XML: libxml2 refuses it */
        int markup_line = s->line;
        if (line != NULL) *line = markup_line;
        c = next_byte(s);
        if (c == '?') {
            /* A processing instruction; the first one may be the XML declaration,
             * whose encoding decides whether this byte scan can be trusted. */
            char body[XML_DECLARATION_MAX + 1];
            size_t n = 0;
            int previous = 0, closed = 0;
            while ((c = next_byte(s)) >= 0) {
                if (c == 0) return CLX_SCREEN_ENCODING;
                if (previous == '?' && c == '>') {
                    closed = 1;
                    break;
                }
                if (n < XML_DECLARATION_MAX) body[n++] = (char)c;
                previous = c;
            }
            if (!closed) return s->failed ? CLX_SCREEN_UNREADABLE : CLX_SCREEN_OK;
            body[n] = '\0';
            int is_declaration = first_markup && n >= 4 && strncmp(body, "xml", 3) == 0 && is_xml_space(body[3]);
            if (is_declaration && (n >= XML_DECLARATION_MAX || !declaration_encoding_is_safe(body)))
                return CLX_SCREEN_ENCODING;
        } else if (c == '!') {
            int d = next_byte(s);
            if (d == '-') {
                if (next_byte(s) != '-') return CLX_SCREEN_DOCTYPE; /* "<!-x": no comment, a declaration */
                int rc = skip_comment(s);
                if (rc < 0) return CLX_SCREEN_ENCODING;
                if (rc == 0) return s->failed ? CLX_SCREEN_UNREADABLE : CLX_SCREEN_OK;
            } else {
                /* Any other markup declaration in a prolog is a DOCTYPE (or a
                 * stray ENTITY, named as such for the operator). */
                char keyword[7] = { (char)d, 0, 0, 0, 0, 0, 0 };
                for (int i = 1; i < 6; i++) {
                    int k = next_byte(s);
                    if (k < 0) break;
                    keyword[i] = (char)k;
                }
                return strncmp(keyword, "ENTITY", 6) == 0 ? CLX_SCREEN_ENTITY : CLX_SCREEN_DOCTYPE;
            }
        } else {
            /* The root element's start tag (or garbage libxml2 refuses): done. */
            return CLX_SCREEN_OK;
        }
        first_markup = 0;
    }
}
