#ifndef CLINLOAD_COPENSSL_SHIM_H
#define CLINLOAD_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

/* Function-like macros do not import into Swift; these wrappers stand in. */
static inline void clinload_openssl_cleanse(void *ptr, size_t len) { OPENSSL_cleanse(ptr, len); }

/* OSSL_PARAM construction helpers (the OSSL_PARAM_* builders are functions, but
 * the string constants are macros of string literals, which do import; kept here
 * so the HMAC setup reads in one place). */
static inline OSSL_PARAM clinload_param_digest(char *name) {
    return OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0);
}
static inline OSSL_PARAM clinload_param_end(void) { return OSSL_PARAM_construct_end(); }

#endif
