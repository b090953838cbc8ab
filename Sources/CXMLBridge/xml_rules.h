#ifndef CLINLOAD_XML_RULES_H
#define CLINLOAD_XML_RULES_H
/* Rule names for libxml2 error codes (see xml_rules.c). Internal to the bridge. */
#include <stddef.h>

/* Static rule name for a well-formedness error code ("not_well_formed" if none fits). */
const char *clx_wellformedness_rule(int code);

/* Static rule name for a schema-validity error code, or NULL (the caller then
 * says "xsd_<code>"). `message` is only matched against libxml2's own static
 * sentences, never copied. */
const char *clx_validity_rule(int code, const char *message);

/* Spans (inside `message`) of the local names of the element and, if any, the
 * attribute a schema error concerns; 1 if the message starts with libxml2's
 * node prefix, 0 (and NULL spans) otherwise. */
int clx_validity_names(const char *message, const char **element, size_t *element_length,
                       const char **attribute, size_t *attribute_length);
#endif
