//! Share links: the non-default field texts in the URL query (`?replicas=10&base_port=9000`),
//! and back. A bad value in a link falls back to the field's default, and the page says so.

use trident_core::FIELDS;

use crate::state::{default_texts, defaults, State};

/// Percent-encodes a query component, keeping a few readable characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a query component (`+` is a space); invalid escapes stay as they are.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The query for `texts`: only fields whose text differs from the default.
pub fn to_query(texts: &[String]) -> String {
    let defaults = defaults();
    let mut parts = Vec::new();
    for ((field, text), default) in FIELDS.iter().zip(texts).zip(defaults) {
        if text == default {
            continue;
        }
        if field.repeatable() {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                parts.push(format!("{}={}", field.name, encode(line)));
            }
            if text.trim().is_empty() {
                parts.push(format!("{}=", field.name));
            }
        } else {
            parts.push(format!("{}={}", field.name, encode(text)));
        }
    }
    parts.join("&")
}

/// The state a query describes. Unknown parameters and fields whose value is unusable are
/// dropped (those fields keep their defaults), and the notice says which.
pub fn from_query(query: &str) -> State {
    let mut texts = default_texts();
    let mut from_url = vec![false; FIELDS.len()];
    let mut unknown = Vec::new();
    for pair in query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        let value = decode(value);
        match trident_core::fields::field(&key)
            .and_then(|f| FIELDS.iter().position(|g| g.name == f.name))
        {
            Some(i) => {
                if FIELDS[i].repeatable() && from_url[i] {
                    texts[i].push('\n');
                    texts[i].push_str(&value);
                } else {
                    texts[i] = value;
                }
                from_url[i] = true;
            }
            None if unknown.len() < 5 => unknown.push(key.chars().take(40).collect::<String>()),
            None => {}
        }
    }
    let first = State::from_texts(texts.clone(), None);
    let defaults = default_texts();
    let mut reset = Vec::new();
    for (i, field) in FIELDS.iter().enumerate() {
        if from_url[i] && first.diags_for(field.name).any(|d| d.is_error()) {
            texts[i] = defaults[i].clone();
            reset.push(field.name);
        }
    }
    let mut state = if reset.is_empty() {
        first
    } else {
        State::from_texts(texts, None)
    };
    let mut notice = Vec::new();
    if !reset.is_empty() {
        notice.push(format!("The link held values Trident cannot use; these fields were reset to their defaults: {}.", reset.join(", ")));
    }
    if !unknown.is_empty() {
        notice.push(format!(
            "Ignored unknown link parameters: {}.",
            unknown.join(", ")
        ));
    }
    if !notice.is_empty() {
        state.notice = Some(notice.join(" "));
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut texts = default_texts();
        let i = |n: &str| FIELDS.iter().position(|f| f.name == n).unwrap();
        texts[i("replicas")] = "10".into();
        texts[i("home")] = "/srv/a b&c=50%".into();
        texts[i("env")] = "A=1\nB=x,y".into();
        let q = to_query(&texts);
        assert!(q.starts_with("replicas=10&"), "{q}");
        assert_eq!(*from_query(&q).texts, texts);
        assert_eq!(to_query(&default_texts()), "");
    }

    #[test]
    fn garbage_falls_back_to_defaults_with_a_notice() {
        let s = from_query("?replicas=banana&base_port=99999&module=%0A%5Bprogram&zzz=1&%E0%A4=%");
        assert!(!s.stale, "{:?}", s.diags);
        assert_eq!(*s.texts, default_texts());
        let n = s.notice.unwrap();
        assert!(
            n.contains("replicas")
                && n.contains("base_port")
                && n.contains("module")
                && n.contains("zzz"),
            "{n}"
        );
    }

    #[test]
    fn decode_never_panics() {
        for s in ["%", "%4", "%zz", "%E0%A4", "+%20+", "é", "%%%"] {
            let _ = decode(s);
        }
        assert_eq!(decode("a%20b+c"), "a b c");
    }
}
