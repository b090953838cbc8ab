#ifndef CLINLOAD_CLIBXML2_SHIM_H
#define CLINLOAD_CLIBXML2_SHIM_H
/* Only the C target CXMLBridge includes this. No Swift module may import it:
 * Debian's libxml2 headers pull in ICU, whose types clash with Foundation's copy
 * ("'UErrorCode' has different definitions in different modules") on a clean build. */
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#endif
