// static inline wrappers for libcrypto macros used by PraxisCrypto (see shim.h for why).
#ifndef PRAXIS_COPENSSL_CRYPTO_SHIM_H
#define PRAXIS_COPENSSL_CRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>

static inline void praxis_OPENSSL_free(void *p) { OPENSSL_free(p); }

static inline long praxis_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }

#endif
