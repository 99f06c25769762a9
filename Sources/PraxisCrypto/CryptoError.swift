import COpenSSL

/// The one error type of PraxisCrypto: what went wrong, in words a person can act on, plus
/// OpenSSL's own reasons when the failure came from libcrypto.
///
/// Bad input (malformed PEM, base64, base58, wrong key type or size) always surfaces as a
/// `CryptoError`; nothing in this module traps on data it was handed. Match on ``kind`` to map the
/// error to a response (for example `invalidEncoding` and `invalidKey` are the sender's fault).
public struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Broad category of the failure, stable enough to switch on.
    public enum Kind: Sendable, Equatable {
        /// Text or bytes are not valid in the expected encoding (base64, base58, multibase, PEM, hex).
        case invalidEncoding
        /// A key could be decoded but is not usable: wrong type, curve, size or inconsistent.
        case invalidKey
        /// A parameter is out of the accepted range (scrypt cost, RSA size, lengths).
        case invalidParameter
        /// libcrypto refused or failed an operation on otherwise valid input.
        case operationFailed
    }

    /// Category of the failure.
    public let kind: Kind
    /// What went wrong, in plain words.
    public let message: String
    /// Entries drained from OpenSSL's thread-local error queue when the error was made (may be empty).
    public let openSSLErrors: [String]

    public var description: String {
        openSSLErrors.isEmpty ? message : "\(message) (OpenSSL: \(openSSLErrors.joined(separator: "; ")))"
    }

    /// Makes an error and drains OpenSSL's error queue into it, so that stale entries never leak into
    /// a later, unrelated error on the same thread.
    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
        self.openSSLErrors = OpenSSLErrorQueue.drain()
    }
}

/// Access to libcrypto's thread-local error queue.
enum OpenSSLErrorQueue {
    /// Removes and returns the queued error strings (at most a handful; the rest are discarded).
    static func drain() -> [String] {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if messages.count < 8 {
                var buffer = [CChar](repeating: 0, count: 256)
                let text = buffer.withUnsafeMutableBufferPointer { buf -> String in
                    guard let base = buf.baseAddress else { return "error \(code)" }
                    ERR_error_string_n(code, base, buf.count)
                    return String(cString: base)
                }
                messages.append(text)
            }
        }
        return messages
    }

    /// Forgets queued errors after an expected failure (such as a signature that does not verify).
    static func clear() {
        ERR_clear_error()
    }
}
