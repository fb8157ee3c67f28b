//! The schema table against the structs it describes, and the docs against
//! the table.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde::de::value::{Error, StrDeserializer};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::Deserialize;

use super::super::sections::FileConfig;
use super::KEYS;

/// Walks a `Deserialize` type and records the path of every leaf field.
/// Leaves get a plausible value; a field whose own validation refuses it is
/// recorded, then skipped on the next walk.
struct Probe<'a> {
    path: String,
    seen: &'a RefCell<Vec<String>>,
    skip: &'a BTreeSet<String>,
}

impl Probe<'_> {
    fn leaf(&self) {
        self.seen.borrow_mut().push(self.path.clone());
    }
}

struct Fields<'a> {
    prefix: String,
    fields: std::vec::IntoIter<&'static str>,
    current: Option<&'static str>,
    seen: &'a RefCell<Vec<String>>,
    skip: &'a BTreeSet<String>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        self.current = self.fields.next();
        match self.current {
            Some(f) => seed.deserialize(StrDeserializer::<Error>::new(f)).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let field = self.current.unwrap_or_default();
        let path = if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.prefix)
        };
        seed.deserialize(Probe {
            path,
            seen: self.seen,
            skip: self.skip,
        })
    }
}

macro_rules! leaf {
    ($($method:ident => |$v:ident| $body:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(self, $v: V) -> Result<V::Value, Error> {
            self.leaf();
            $body
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let prefix = self.path.clone();
        let full = |f: &&str| {
            if prefix.is_empty() {
                f.to_string()
            } else {
                format!("{prefix}.{f}")
            }
        };
        let kept: Vec<&'static str> = fields
            .iter()
            .filter(|f| !self.skip.contains(&full(f)))
            .copied()
            .collect();
        visitor.visit_map(Fields {
            prefix: self.path,
            fields: kept.into_iter(),
            current: None,
            seen: self.seen,
            skip: self.skip,
        })
    }

    leaf! {
        deserialize_any => |v| v.visit_unit();
        deserialize_bool => |v| v.visit_bool(false);
        deserialize_u8 => |v| v.visit_u64(1);
        deserialize_u16 => |v| v.visit_u64(1);
        deserialize_u32 => |v| v.visit_u64(1);
        deserialize_u64 => |v| v.visit_u64(1);
        deserialize_i8 => |v| v.visit_i64(1);
        deserialize_i16 => |v| v.visit_i64(1);
        deserialize_i32 => |v| v.visit_i64(1);
        deserialize_i64 => |v| v.visit_i64(1);
        deserialize_f32 => |v| v.visit_f64(1.0);
        deserialize_f64 => |v| v.visit_f64(1.0);
        deserialize_str => |v| v.visit_str("");
        deserialize_string => |v| v.visit_str("");
        deserialize_option => |v| v.visit_none();
        deserialize_seq => |v| v.visit_seq(de::value::SeqDeserializer::<_, Error>::new(std::iter::empty::<u8>()));
        deserialize_map => |v| v.visit_map(de::value::MapDeserializer::<_, Error>::new(std::iter::empty::<(u8, u8)>()));
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct newtype_struct tuple tuple_struct enum identifier ignored_any i128 u128
    }
}

/// Every leaf path of `FileConfig`, from the structs themselves.
fn struct_keys() -> BTreeSet<String> {
    let mut skip = BTreeSet::new();
    loop {
        let seen = RefCell::new(Vec::new());
        let probe = Probe {
            path: String::new(),
            seen: &seen,
            skip: &skip,
        };
        let ok = FileConfig::deserialize(probe).is_ok();
        let seen = seen.into_inner();
        let mut keys: BTreeSet<String> = seen.iter().cloned().collect();
        keys.extend(skip.iter().cloned());
        if ok {
            return keys;
        }
        let failed = seen
            .last()
            .cloned()
            .expect("a probe error comes from a leaf");
        assert!(skip.insert(failed), "probe loops");
    }
}

#[test]
fn every_struct_field_has_a_schema_entry_and_back() {
    let fields = struct_keys();
    let schema: BTreeSet<String> = KEYS.iter().map(|k| k.path.to_string()).collect();
    let missing: Vec<_> = fields.difference(&schema).collect();
    let stale: Vec<_> = schema.difference(&fields).collect();
    assert!(
        missing.is_empty(),
        "fields without an entry in config::schema::KEYS: {missing:?}"
    );
    assert!(stale.is_empty(), "schema entries with no field: {stale:?}");
}

fn nest(path: &str, value: serde_json::Value) -> serde_json::Value {
    path.rsplit('.')
        .fold(value, |v, seg| serde_json::json!({ seg: v }))
}

#[test]
fn schema_defaults_match_the_struct_defaults() {
    let want = format!("{:?}", FileConfig::default());
    for k in KEYS {
        let value: serde_json::Value = serde_json::from_str(k.default).expect("default is JSON");
        let cfg: FileConfig = serde_json::from_value(nest(k.path, value))
            .unwrap_or_else(|e| panic!("{}: default {} does not load: {e}", k.path, k.default));
        assert_eq!(
            format!("{cfg:?}"),
            want,
            "{}: the schema default {} differs from the struct's",
            k.path,
            k.default
        );
    }
}

#[test]
fn every_key_is_documented() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/CONFIGURATION.md");
    let doc = std::fs::read_to_string(path).expect("docs/CONFIGURATION.md");
    let (begin, end) = ("<!-- keys:begin -->\n", "<!-- keys:end -->");
    let (Some(a), Some(b)) = (doc.find(begin), doc.find(end)) else {
        panic!("docs/CONFIGURATION.md lacks the {begin:?} / {end:?} markers");
    };
    let table = super::markdown();
    if doc[a + begin.len()..b] == table {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let new = format!("{}{table}{}", &doc[..a + begin.len()], &doc[b..]);
        std::fs::write(path, new).expect("write docs/CONFIGURATION.md");
        return;
    }
    panic!("docs/CONFIGURATION.md's key table is out of date: run `UPDATE_DOCS=1 cargo test --lib config::schema` (or paste `aiwebengine config docs`)");
}

#[test]
fn env_names_follow_the_scheme() {
    let k = super::find("js.isolation").expect("key");
    assert_eq!(k.env_name(), "AIWEBENGINE_JS__ISOLATION");
    assert_eq!(
        super::env_name("security.rate_limit.max_clients"),
        "AIWEBENGINE_SECURITY__RATE_LIMIT__MAX_CLIENTS"
    );
}

#[test]
fn suggests_close_keys() {
    assert_eq!(
        super::suggest("js.tim_limit_ms").as_deref(),
        Some("js.time_limit_ms")
    );
    assert_eq!(super::suggest("sever").as_deref(), Some("server"));
    assert_eq!(super::suggest("js.zzzzzzzzzzzzzz"), None);
}
