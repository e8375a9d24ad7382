//! Make strings that come from Redis safe to print on a terminal.
//!
//! Control characters (including ESC, so no escape sequence can reach the
//! terminal), DEL, C1 controls and invalid UTF-8 bytes are shown escaped.

use std::fmt::Write;

/// Sanitise raw bytes from Redis: valid UTF-8 is kept, invalid bytes become `\xNN`.
pub fn bytes(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        push_str(&mut out, chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Sanitise a string for display.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_str(&mut out, s);
    out
}

fn push_str(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            // Bidi overrides can make text render reversed: show them too.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_and_controls() {
        assert_eq!(text("a\x1b[31mred"), "a\\u{1b}[31mred");
        assert_eq!(text("line\nnext\ttab"), "line\\nnext\\ttab");
        assert_eq!(text("\u{7f}\u{9b}"), "\\u{7f}\\u{9b}");
        assert_eq!(text("plain webhook:events"), "plain webhook:events");
        assert_eq!(text("back\\slash"), "back\\\\slash");
        assert_eq!(text("\u{202e}evil"), "\\u{202e}evil");
    }

    #[test]
    fn escapes_invalid_utf8() {
        assert_eq!(bytes(b"ok\xff\xfe!"), "ok\\xff\\xfe!");
        assert_eq!(bytes("é".as_bytes()), "é");
    }
}
