import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A server-side OpenSSL context loaded from PEM files, shared by every event loop.
///
/// `@unchecked Sendable`: the `SSL_CTX` is fully configured in `init` and never changed after;
/// OpenSSL documents `SSL_new` on a shared, unmodified context as thread-safe.
final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    init(_ configuration: TLSServerConfiguration) throws(HTTPServerError) {
        guard let method = TLS_server_method(), let ctx = SSL_CTX_new(method) else {
            throw HTTPServerError("TLS: cannot create an OpenSSL context: \(TLSContext.lastError())")
        }
        context = ctx
        guard praxis_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 else {
            throw HTTPServerError("TLS: cannot require TLS 1.2: \(TLSContext.lastError())")
        }
        _ = praxis_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        praxis_SSL_CTX_set_server_options(ctx)
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificateChainPath) == 1 else {
            throw HTTPServerError(
                "TLS: cannot load the certificate chain from \(configuration.certificateChainPath): \(TLSContext.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1 else {
            throw HTTPServerError("TLS: cannot load the private key from \(configuration.privateKeyPath): \(TLSContext.lastError())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw HTTPServerError("TLS: the private key does not match the certificate: \(TLSContext.lastError())")
        }
    }

    deinit { SSL_CTX_free(context) }

    /// The oldest queued OpenSSL error as text, clearing the queue.
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        if code == 0 { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Outcome of one non-blocking read or write.
enum IOResult {
    case bytes(Int)
    /// Nothing now; `wantWrite` tells a TLS session needs the socket writable to progress.
    case wouldBlock(wantWrite: Bool)
    case eof
    case failed
}

/// One TLS session on a non-blocking socket; confined to its connection's loop thread.
final class TLSSession {
    let ssl: OpaquePointer
    private(set) var handshakeDone = false

    init?(context: TLSContext, fd: Int32) {
        guard let ssl = SSL_new(context.context) else { return nil }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Decrypted bytes OpenSSL holds that a read would return without touching the socket.
    var pendingBytes: Int { Int(SSL_pending(ssl)) }

    enum HandshakeResult { case done, wantRead, wantWrite, failed }

    func handshake() -> HandshakeResult {
        ERR_clear_error()
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            handshakeDone = true
            return .done
        }
        switch SSL_get_error(ssl, r) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        default:
            ERR_clear_error()
            return .failed
        }
    }

    func read(_ buffer: UnsafeMutableRawPointer, _ count: Int) -> IOResult {
        ERR_clear_error()
        var n = 0
        let r = SSL_read_ex(ssl, buffer, count, &n)
        if r == 1 { return .bytes(n) }
        return classify(r)
    }

    func write(_ buffer: UnsafeRawPointer, _ count: Int) -> IOResult {
        ERR_clear_error()
        var n = 0
        let r = SSL_write_ex(ssl, buffer, count, &n)
        if r == 1 { return .bytes(n) }
        return classify(r)
    }

    /// Sends close_notify, best effort: the socket is closed right after anyway.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func classify(_ r: Int32) -> IOResult {
        switch SSL_get_error(ssl, r) {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantWrite: false)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantWrite: true)
        case SSL_ERROR_ZERO_RETURN:
            return .eof
        default:
            ERR_clear_error()
            // A peer that closes without close_notify looks like an error; treat it as end.
            return .failed
        }
    }
}
