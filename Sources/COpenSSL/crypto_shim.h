// static inline wrappers for libcrypto macros used by PraxisCrypto (see shim.h for why).
#ifndef PRAXIS_COPENSSL_CRYPTO_SHIM_H
#define PRAXIS_COPENSSL_CRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>

static inline void praxis_OPENSSL_free(void *p) { OPENSSL_free(p); }

static inline long praxis_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }

// EVP_PKEY_KEYPAIR / EVP_PKEY_PUBLIC_KEY are OR-expressions of other macros, which Swift cannot import.
static inline int praxis_EVP_PKEY_KEYPAIR(void) { return EVP_PKEY_KEYPAIR; }
static inline int praxis_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }

// OPENSSL_clear_free is a macro that adds __FILE__/__LINE__; used for buffers that held private key bytes.
static inline void praxis_OPENSSL_clear_free(void *p, size_t n) { OPENSSL_clear_free(p, n); }

#endif
