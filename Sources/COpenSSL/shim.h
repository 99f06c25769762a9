// Why this file exists: OpenSSL 3 exposes part of its API as function-like macros
// (EVP_PKEY_size, OPENSSL_free, SSL_CTX_set_min_proto_version, BIO_get_mem_data ...), which Swift
// cannot import. Each one we need is wrapped as a static inline function. The crypto wrappers live
// in crypto_shim.h and the TLS/socket ones in tls_shim.h so the two can grow independently.
// After editing any of these headers, delete .build: SwiftPM does not track them as dependencies.
#ifndef PRAXIS_COPENSSL_SHIM_H
#define PRAXIS_COPENSSL_SHIM_H

#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ssl.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/kdf.h>

#include "crypto_shim.h"
#include "tls_shim.h"

#endif
