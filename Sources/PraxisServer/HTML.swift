/// Minimal server-side HTML building with escaping by default: every interpolated string goes
/// through `escape`, so text from members and remote nodes can never become markup.
public enum HTML {
    /// Escapes `& < > " '` for use in element content and quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A complete page in the shared layout. `body` must already be safe HTML.
    static func page(title: String, nodeName: String, lang: String = "en", body: String) -> String {
        """
        <!doctype html>
        <html lang="\(escape(lang))">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · \(escape(nodeName))</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1d2733}
        header{border-bottom:1px solid #d0d7de;margin-bottom:1rem} a{color:#0b5cad}
        .muted{color:#57606a} ul.cards{list-style:none;padding:0} ul.cards li{border:1px solid #d0d7de;border-radius:6px;padding:.6rem;margin:.5rem 0}
        code{background:#f3f4f6;padding:0 .2rem}
        </style>
        </head>
        <body>
        <header><p><a href="/">\(escape(nodeName))</a> <span class="muted">· Praxis</span></p></header>
        <main>
        \(body)
        </main>
        </body>
        </html>
        """
    }
}
