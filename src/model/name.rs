//! A key, group or consumer name as Redis holds it: bytes, not text.
//!
//! Redis names are binary-safe; a stream called `s_bad\xff` exists and must
//! be queried with its real bytes. `Name` keeps them, sends them unchanged
//! (`ToRedisArgs`), and shows them escaped (`Display`, JSON) in the form of
//! [`crate::sanitize::bytes`]: invalid UTF-8 as `\xNN`, controls as `\n`,
//! `\u{1b}`, a backslash as `\\`. That form is lossless: [`Name::parse`]
//! reads it back, so a name shown on screen or in `snapshot --json` can be
//! typed on the command line or in a profile and reaches the same key.

use redis::{RedisWrite, ToRedisArgs, ToSingleRedisArg};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Vec<u8>);

impl Name {
    pub fn from_bytes(b: impl Into<Vec<u8>>) -> Self {
        Name(b.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The escaped form, as shown (safe for a terminal).
    pub fn escaped(&self) -> String {
        crate::sanitize::bytes(&self.0)
    }

    /// The name as text when it is plain UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// This name followed by `suffix` (a DLQ stream's name, a journal key).
    pub fn with_suffix(&self, suffix: &str) -> Name {
        let mut b = self.0.clone();
        b.extend_from_slice(suffix.as_bytes());
        Name(b)
    }

    /// This name without `suffix`, if it ends with it.
    pub fn strip_suffix(&self, suffix: &str) -> Option<Name> {
        self.0
            .strip_suffix(suffix.as_bytes())
            .map(|b| Name(b.to_vec()))
    }

    pub fn ends_with(&self, suffix: &str) -> bool {
        self.0.ends_with(suffix.as_bytes())
    }

    /// Reads the escaped form back (`\xNN`, `\\`, `\n`, `\r`, `\t`, `\u{..}`);
    /// any other text is taken as it is. A lone or unknown escape is kept
    /// literally, so a name typed without escapes always means itself.
    pub fn parse(s: &str) -> Name {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\'
                && let Some((bytes, used)) = unescape(&s[i + 1..])
            {
                out.extend_from_slice(&bytes);
                i += 1 + used;
                continue;
            }
            out.push(b[i]);
            i += 1;
        }
        Name(out)
    }
}

/// One escape after the backslash: the bytes it stands for and the characters used.
fn unescape(rest: &str) -> Option<(Vec<u8>, usize)> {
    let simple = |c: u8| Some((vec![c], 1));
    match rest.as_bytes().first()? {
        b'\\' => simple(b'\\'),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'x' => {
            let hex = rest.get(1..3)?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            Some((vec![v], 3))
        }
        b'u' => {
            let body = rest.strip_prefix("u{")?;
            let end = body.find('}')?;
            let c = char::from_u32(u32::from_str_radix(&body[..end], 16).ok()?)?;
            Some((c.to_string().into_bytes(), 2 + end + 1))
        }
        _ => None,
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(s.as_bytes().to_vec())
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(s.into_bytes())
    }
}

impl From<&Name> for Name {
    fn from(n: &Name) -> Self {
        n.clone()
    }
}

impl AsRef<[u8]> for Name {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, o: &str) -> bool {
        self.0 == o.as_bytes()
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, o: &&str) -> bool {
        self.0 == o.as_bytes()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.escaped())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.escaped())
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.escaped())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Name::parse(&String::deserialize(d)?))
    }
}

impl ToRedisArgs for Name {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        out.write_arg(&self.0);
    }
}

impl ToSingleRedisArg for Name {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_form_reads_back_to_the_same_bytes() {
        for raw in [
            &b"s_bad\xff"[..],
            b"plain:stream",
            b"back\\slash \\xff literally",
            b"\x1b[31mred\n\t\r",
            "é\u{202e}".as_bytes(),
            b"\x00\x7f\xc3",
        ] {
            let n = Name::from_bytes(raw);
            assert_eq!(Name::parse(&n.escaped()).as_bytes(), raw, "{n}");
            assert!(!n.escaped().contains('\x1b'));
        }
        assert_eq!(
            Name::from_bytes(&b"s_bad\xff"[..]).to_string(),
            "s_bad\\xff"
        );
        // Text without escapes means itself; unknown escapes are kept.
        assert_eq!(Name::parse("orders"), "orders");
        assert_eq!(Name::parse("a\\qb\\x4"), "a\\qb\\x4");
    }

    #[test]
    fn suffix_keeps_the_bytes() {
        let n = Name::from_bytes(&b"s\xff"[..]).with_suffix(":dlq");
        assert_eq!(n.as_bytes(), b"s\xff:dlq");
        assert!(n.ends_with(":dlq"));
    }
}
