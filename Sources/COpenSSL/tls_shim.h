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

// ---- HTTP server (PraxisHTTP/Server) additions: begin ----
// SSL_CTX_set_mode is a macro; the server needs partial writes and a movable write buffer
// because Swift arrays may move between a WANT_WRITE and the retry.
static inline long praxis_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

// SSL_OP_* are built with a cast macro Swift cannot import: no renegotiation, server's cipher order.
static inline void praxis_SSL_CTX_set_server_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

// The event loop needs epoll and eventfd, which Swift's Glibc module does not export; they are
// socket plumbing that only the TLS/HTTP layer uses, so they ride along here.
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
// ---- HTTP server additions: end ----

#endif
