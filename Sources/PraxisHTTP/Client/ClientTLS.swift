import COpenSSL

/// The client's OpenSSL context: built once, shared by every connection.
///
/// Peer verification against the system trust store (plus an optional extra CA bundle) is always
/// on and TLS 1.2 is the minimum; there is deliberately no switch to turn verification off.
///
/// `@unchecked Sendable`: the `SSL_CTX` is configured completely in `init` and only read
/// afterwards (by `SSL_new`), which OpenSSL documents as safe from several threads.
final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer

    init(extraCAFile: String?) throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw HTTPClientError(.tls("SSL_CTX_new failed"), "could not create the TLS context: \(clientTLSErrorQueue())")
        }
        self.context = context
        guard praxis_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw HTTPClientError(.tls("minimum version"), "could not require TLS 1.2: \(clientTLSErrorQueue())")
        }
        // Partial writes and a moving buffer let the write loop retry with the unsent rest of a
        // Swift array, whose address may change between calls.
        _ = SSL_CTX_ctrl(
            context, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw HTTPClientError(.tls("trust store"), "could not load the system trust store: \(clientTLSErrorQueue())")
        }
        if let extraCAFile {
            guard SSL_CTX_load_verify_file(context, extraCAFile) == 1 else {
                let detail = clientTLSErrorQueue()
                throw HTTPClientError(
                    .tls("extra CA file"),
                    "could not load the CA bundle '\(extraCAFile)' (it must be a readable PEM file): \(detail)")
            }
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// Drains OpenSSL's thread-local error queue into one readable line.
func clientTLSErrorQueue() -> String {
    var parts: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        parts.append(String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return parts.isEmpty ? "no further detail from OpenSSL" : parts.joined(separator: "; ")
}
