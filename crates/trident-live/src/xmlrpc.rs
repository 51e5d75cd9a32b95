//! The XML-RPC that supervisord speaks, as far as its control interface needs: requests with
//! string and boolean parameters, responses of strings, integers, booleans, arrays, structs,
//! and faults.

use std::fmt::Write as _;

/// An XML-RPC value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `<string>` (also a bare `<value>text</value>`).
    Str(String),
    /// `<int>` or `<i4>`.
    Int(i64),
    /// `<boolean>`.
    Bool(bool),
    /// `<double>`, kept as text.
    Double(String),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<struct>`, members in order.
    Struct(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of a struct.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The number of an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
    /// The items of an array.
    pub fn as_array(&self) -> &[Value] {
        match self {
            Value::Array(items) => items,
            _ => &[],
        }
    }
}

/// A parameter of a call.
pub enum Param<'a> {
    /// A string.
    Str(&'a str),
    /// A boolean.
    Bool(bool),
}

/// The body of a call of `method` with `params`.
pub fn request(method: &str, params: &[Param<'_>]) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>\n<methodCall><methodName>");
    out.push_str(&escape(method));
    out.push_str("</methodName><params>");
    for p in params {
        out.push_str("<param><value>");
        match p {
            Param::Str(s) => {
                let _ = write!(out, "<string>{}</string>", escape(s));
            }
            Param::Bool(b) => {
                let _ = write!(out, "<boolean>{}</boolean>", u8::from(*b));
            }
        }
        out.push_str("</value></param>");
    }
    out.push_str("</params></methodCall>\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A response: the value, or the fault's code and string.
pub fn response(body: &str) -> Result<Value, (i64, String)> {
    let mut p = Parser { rest: body };
    if let Some(at) = p.rest.find("<fault>") {
        p.rest = &p.rest[at + "<fault>".len()..];
        let v = p.value().ok_or((0, format!("unreadable fault: {body}")))?;
        let code = v.get("faultCode").and_then(Value::as_int).unwrap_or(0);
        let text = v
            .get("faultString")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        return Err((code, text));
    }
    let at = p
        .rest
        .find("<param>")
        .ok_or((0, format!("no value in the response: {body}")))?;
    p.rest = &p.rest[at + "<param>".len()..];
    p.value().ok_or((0, format!("unreadable response: {body}")))
}

struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// Consumes `<tag>` (or `<tag/>`, returning false) after whitespace.
    fn open(&mut self, tag: &str) -> Option<bool> {
        self.skip_ws();
        let open = format!("<{tag}>");
        let empty = format!("<{tag}/>");
        if let Some(r) = self.rest.strip_prefix(&open) {
            self.rest = r;
            Some(true)
        } else if let Some(r) = self.rest.strip_prefix(&empty) {
            self.rest = r;
            Some(false)
        } else {
            None
        }
    }

    fn close(&mut self, tag: &str) -> Option<()> {
        self.skip_ws();
        self.rest = self.rest.strip_prefix(&format!("</{tag}>"))?;
        Some(())
    }

    /// Text up to the next `<`.
    fn text(&mut self) -> &'a str {
        let end = self.rest.find('<').unwrap_or(self.rest.len());
        let (t, r) = self.rest.split_at(end);
        self.rest = r;
        t
    }

    fn value(&mut self) -> Option<Value> {
        if !self.open("value")? {
            return Some(Value::Str(String::new()));
        }
        // A bare value is a string.
        let before = self.rest;
        let bare = self.text();
        if self.rest.starts_with("</value>") {
            self.close("value")?;
            return Some(Value::Str(unescape(bare)));
        }
        self.rest = before;
        self.skip_ws();
        let tag_end = self.rest.find('>')?;
        let tag = self.rest[1..tag_end].trim_end_matches('/').to_string();
        let v = match tag.as_str() {
            "string" | "int" | "i4" | "boolean" | "double" => {
                let text = if self.open(&tag)? {
                    let t = unescape(self.text());
                    self.close(&tag)?;
                    t
                } else {
                    String::new()
                };
                match tag.as_str() {
                    "string" => Value::Str(text),
                    "boolean" => Value::Bool(text.trim() == "1"),
                    "double" => Value::Double(text),
                    _ => Value::Int(text.trim().parse().ok()?),
                }
            }
            "array" => {
                self.open("array")?;
                let mut items = Vec::new();
                if self.open("data")? {
                    loop {
                        self.skip_ws();
                        if self.rest.starts_with("</data>") {
                            break;
                        }
                        items.push(self.value()?);
                    }
                    self.close("data")?;
                }
                self.close("array")?;
                Value::Array(items)
            }
            "struct" => {
                let mut members = Vec::new();
                if self.open("struct")? {
                    loop {
                        self.skip_ws();
                        if self.rest.starts_with("</struct>") {
                            break;
                        }
                        self.open("member")?;
                        self.open("name")?;
                        let name = unescape(self.text());
                        self.close("name")?;
                        let v = self.value()?;
                        self.close("member")?;
                        members.push((name, v));
                    }
                    self.close("struct")?;
                }
                Value::Struct(members)
            }
            _ => return None,
        };
        self.close("value")?;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_supervisor_answers() {
        let body = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>name</name>\n<value><string>p0</string></value>\n</member>\n<member>\n<name>pid</name>\n<value><int>1234</int></value>\n</member>\n<member>\n<name>description</name>\n<value><string>pid 1234, uptime 0:00:05 &amp; more</string></value>\n</member>\n<member><name>empty</name><value><string></string></value></member>\n</struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let v = response(body).unwrap();
        let p = &v.as_array()[0];
        assert_eq!(p.get("name").and_then(Value::as_str), Some("p0"));
        assert_eq!(p.get("pid").and_then(Value::as_int), Some(1234));
        assert_eq!(
            p.get("description").and_then(Value::as_str),
            Some("pid 1234, uptime 0:00:05 & more")
        );
        assert_eq!(p.get("empty").and_then(Value::as_str), Some(""));
        let t = response("<methodResponse><params><param><value><boolean>1</boolean></value></param></params></methodResponse>").unwrap();
        assert_eq!(t, Value::Bool(true));
    }

    #[test]
    fn reads_faults() {
        let body = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>10</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>BAD_NAME: p9</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
        assert_eq!(response(body), Err((10, "BAD_NAME: p9".into())));
    }

    #[test]
    fn writes_calls() {
        let body = request(
            "supervisor.stopProcess",
            &[Param::Str("p<0>"), Param::Bool(true)],
        );
        assert!(body.contains("<methodName>supervisor.stopProcess</methodName>"));
        assert!(
            body.contains("<string>p&lt;0&gt;</string>") && body.contains("<boolean>1</boolean>")
        );
    }
}
