// static inline wrappers for libssl macros used by PraxisHTTP (see shim.h for why).
#ifndef PRAXIS_COPENSSL_TLS_SHIM_H
#define PRAXIS_COPENSSL_TLS_SHIM_H
#include <openssl/ssl.h>

static inline int praxis_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long praxis_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

#endif
