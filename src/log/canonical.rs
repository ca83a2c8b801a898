//! Canonical JSON, written straight from a `Serialize` value: PURE.
//!
//! The bytes are exactly `serde_json::to_vec(&serde_json::to_value(x)?)`
//! — object keys sorted by their UTF-8 bytes (a later value for the same
//! key replaces an earlier one, as in the `BTreeMap` of a `Value`), no
//! whitespace, strings escaped as serde_json (and RFC 8785) escape them —
//! without building the `Value` tree: each object's members are written
//! into one buffer, then copied out in key order. That tree (a `String`
//! and a map node per member) was most of the cost of an event's
//! canonical form, which the writer makes for every entry and the
//! verifier for every entry it cannot read from its bytes
//! (`log::event::encode`; docs/performance.md, "A season").
//!
//! `tests::agrees_with_serde_json_values` holds it to that equality for
//! every shape serde can give.

use serde::ser::{self, Impossible, Serialize};
use serde_json::Error;

/// The canonical JSON of `value`.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    value.serialize(Canon {
        out: &mut out,
        extra: None,
    })?;
    Ok(out)
}

/// The canonical JSON of `value`, which must serialise as an object, with
/// one more member `key: raw` (`raw` already canonical JSON) in its sorted
/// place: an event with its `"v"`.
pub fn to_vec_with(
    value: &(impl Serialize + ?Sized),
    key: &'static str,
    raw: &'static [u8],
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    value.serialize(Canon {
        out: &mut out,
        extra: Some((key, raw)),
    })?;
    Ok(out)
}

/// Writes one value at the end of `out`.
struct Canon<'a> {
    out: &'a mut Vec<u8>,
    /// A member for the object this serialiser writes (top level only).
    extra: Option<(&'static str, &'static [u8])>,
}

impl Canon<'_> {
    fn not_object(&self) -> Result<(), Error> {
        match self.extra {
            Some(_) => Err(ser::Error::custom("the value is not an object")),
            None => Ok(()),
        }
    }
}

/// `s` as a JSON string, escaped as serde_json escapes it: `"` and `\`,
/// the short escapes `\b \f \n \r \t`, every other control character
/// below U+0020 as `\u00xx` (lower-case hex); nothing else.
fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn write_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    write_u64(out, v.unsigned_abs());
}

/// A float as a `Value` holds it (`null` when not finite), then written.
fn write_f64(out: &mut Vec<u8>, v: f64) -> Result<(), Error> {
    out.extend_from_slice(&serde_json::to_vec(&serde_json::Value::from(v))?);
    Ok(())
}

/// The members of one object: keys, and where each value's bytes lie in
/// `values`.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    members: Vec<(Key, usize, usize)>,
    values: Vec<u8>,
    /// The key `serialize_key` gave, waiting for its value.
    pending: Option<Key>,
    /// A member added after the others ([`to_vec_with`]).
    extra: Option<(&'static str, &'static [u8])>,
    /// After the object: `}` then this (a variant's closing `}`).
    suffix: &'static [u8],
}

/// An object key: a field name, or a map's key as text.
enum Key {
    Static(&'static str),
    Owned(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Static(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'a> Object<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        extra: Option<(&'static str, &'static [u8])>,
        suffix: &'static [u8],
    ) -> Self {
        Object {
            out,
            members: Vec::with_capacity(16),
            values: Vec::with_capacity(128),
            pending: None,
            extra,
            suffix,
        }
    }

    fn member(&mut self, key: Key, value: &(impl Serialize + ?Sized)) -> Result<(), Error> {
        let start = self.values.len();
        value.serialize(Canon {
            out: &mut self.values,
            extra: None,
        })?;
        self.members.push((key, start, self.values.len()));
        Ok(())
    }

    fn finish(mut self) -> Result<(), Error> {
        // Last, as `Map::insert` into the finished `Value` would put it: it
        // replaces a member of the same name.
        if let Some((key, raw)) = self.extra {
            let start = self.values.len();
            self.values.extend_from_slice(raw);
            self.members
                .push((Key::Static(key), start, self.values.len()));
        }
        // Stable, so among equal keys the last one written is last: keep it
        // (a `BTreeMap` insert replaces the earlier value).
        self.members
            .sort_by(|a, b| a.0.as_str().as_bytes().cmp(b.0.as_str().as_bytes()));
        self.out.push(b'{');
        let mut first = true;
        for (i, (key, start, end)) in self.members.iter().enumerate() {
            let replaced = self
                .members
                .get(i + 1)
                .is_some_and(|next| next.0.as_str() == key.as_str());
            if replaced {
                continue;
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            write_str(self.out, key.as_str());
            self.out.push(b':');
            self.out.extend_from_slice(&self.values[*start..*end]);
        }
        self.out.push(b'}');
        self.out.extend_from_slice(self.suffix);
        Ok(())
    }
}

/// The elements of one array, written as they come.
struct Array<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    suffix: &'static [u8],
}

impl<'a> Array<'a> {
    fn new(out: &'a mut Vec<u8>, suffix: &'static [u8]) -> Self {
        out.push(b'[');
        Array {
            out,
            first: true,
            suffix,
        }
    }

    fn element(&mut self, value: &(impl Serialize + ?Sized)) -> Result<(), Error> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Canon {
            out: self.out,
            extra: None,
        })
    }

    fn finish(self) -> Result<(), Error> {
        self.out.push(b']');
        self.out.extend_from_slice(self.suffix);
        Ok(())
    }
}

/// `{"variant":` before a variant's content; its `}` comes after.
fn open_variant(out: &mut Vec<u8>, variant: &str) {
    out.push(b'{');
    write_str(out, variant);
    out.push(b':');
}

impl<'a> ser::Serializer for Canon<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.not_object()?;
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.not_object()?;
        write_i64(self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => self.serialize_u128(u128::try_from(v).map_err(|_| number_out_of_range())?),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.not_object()?;
        write_u64(self.out, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.serialize_u64(u64::try_from(v).map_err(|_| number_out_of_range())?)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.not_object()?;
        write_f64(self.out, f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.not_object()?;
        write_f64(self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.not_object()?;
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = ser::Serializer::serialize_seq(self, Some(v.len()))?;
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.not_object()?;
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut object = Object::new(self.out, self.extra, b"");
        object.member(Key::Static(variant), value)?;
        object.finish()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a>, Error> {
        self.not_object()?;
        Ok(Array::new(self.out, b""))
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Array<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Array<'a>, Error> {
        self.not_object()?;
        open_variant(self.out, variant);
        Ok(Array::new(self.out, b"}"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, Error> {
        Ok(Object::new(self.out, self.extra, b""))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'a>, Error> {
        Ok(Object::new(self.out, self.extra, b""))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'a>, Error> {
        self.not_object()?;
        open_variant(self.out, variant);
        Ok(Object::new(self.out, None, b"}"))
    }
}

fn number_out_of_range() -> Error {
    ser::Error::custom("number out of range")
}

/// The four array-shaped compounds of serde, all an [`Array`].
macro_rules! array_compound {
    ($($compound:ident :: $add:ident),*) => {$(
        impl ser::$compound for Array<'_> {
            type Ok = ();
            type Error = Error;
            fn $add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

array_compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.pending = Some(Key::Owned(key.serialize(MapKey)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .pending
            .take()
            .ok_or_else(|| <Error as ser::Error>::custom("a map value without its key"))?;
        self.member(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// The two struct-shaped compounds of serde, both an [`Object`].
macro_rules! struct_compound {
    ($($compound:ident),*) => {$(
        impl ser::$compound for Object<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.member(Key::Static(key), value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

struct_compound!(SerializeStruct, SerializeStructVariant);

/// Methods of a `Serializer` that refuse the shape they are for: each
/// `fn name(self, _: T, …) -> Result<ok, error>` returns `Err(refusal)`.
/// With `compound` first, methods that return one of the serialiser's
/// compound types (`-> SerializeSeq`), refused alike.
macro_rules! refuse {
    (compound $error:ty, $refusal:expr; $($name:ident($($arg:ty),*) -> $compound:ident),* $(,)?) => {
        $(fn $name(self, $(_: $arg),*) -> Result<Self::$compound, $error> {
            Err($refusal)
        })*
    };
    ($ok:ty, $error:ty, $refusal:expr; $($name:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $name(self, $(_: $arg),*) -> Result<$ok, $error> {
            Err($refusal)
        })*
    };
}
pub(crate) use refuse;

/// A map key as the text a `Value` map holds: strings and characters as
/// they are, integers and booleans in decimal or as `true`/`false`, a unit
/// variant by its name (serde_json's `MapKeySerializer`); anything else is
/// refused as it refuses it.
struct MapKey;

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl ser::Serializer for MapKey {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    refuse!(String, Error, key_must_be_a_string();
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    refuse!(compound Error, key_must_be_a_string();
        serialize_seq(Option<usize>) -> SerializeSeq,
        serialize_tuple(usize) -> SerializeTuple,
        serialize_tuple_struct(&'static str, usize) -> SerializeTupleStruct,
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> SerializeTupleVariant,
        serialize_map(Option<usize>) -> SerializeMap,
        serialize_struct(&'static str, usize) -> SerializeStruct,
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> SerializeStructVariant,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::{json, Value};
    use std::collections::{BTreeMap, HashMap};

    fn through_value<T: Serialize>(value: &T) -> Vec<u8> {
        serde_json::to_vec(&serde_json::to_value(value).unwrap()).unwrap()
    }

    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        Zebra {
            b: u64,
            a: Option<String>,
            z: Vec<i64>,
        },
        Apple {
            name: String,
        },
    }

    #[derive(Serialize)]
    enum External {
        Unit,
        New(u64),
        Tuple(u8, String),
        Struct { y: bool, x: char },
    }

    #[derive(Serialize)]
    struct Nested {
        zeta: External,
        alpha: Vec<External>,
        #[serde(flatten)]
        rest: BTreeMap<String, u64>,
        bytes: &'static [u8],
        unit: (),
        tuple: (u8, i8),
        float: f64,
        nan: f64,
    }

    #[test]
    fn agrees_with_serde_json_values() {
        let text = "引\"号\\ \u{0}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}\u{200b}/é";
        let mut keys = HashMap::new();
        keys.insert("b键", 1u64);
        keys.insert("a", 2);
        keys.insert("\u{1}", 3);
        let cases: Vec<Vec<u8>> = vec![
            to_vec(&Tagged::Zebra {
                b: u64::MAX,
                a: Some(text.into()),
                z: vec![i64::MIN, -1, 0, 7],
            })
            .unwrap(),
            to_vec(&Tagged::Apple { name: "".into() }).unwrap(),
            to_vec(&Nested {
                zeta: External::Struct { y: true, x: '字' },
                alpha: vec![
                    External::Unit,
                    External::New(3),
                    External::Tuple(1, text.into()),
                ],
                rest: [("aa".to_owned(), 1), ("zz".to_owned(), 2)].into(),
                bytes: b"\x00\xff",
                unit: (),
                tuple: (255, -128),
                float: 1.5,
                nan: f64::NAN,
            })
            .unwrap(),
            to_vec(&keys).unwrap(),
            to_vec(&json!({"z": [1, {"b": null, "a": [true, false]}], "": "x", "y": -3})).unwrap(),
            to_vec(text).unwrap(),
            to_vec(&[1u128, 2]).unwrap(),
        ];
        let expected: Vec<Vec<u8>> = vec![
            through_value(&Tagged::Zebra {
                b: u64::MAX,
                a: Some(text.into()),
                z: vec![i64::MIN, -1, 0, 7],
            }),
            through_value(&Tagged::Apple { name: "".into() }),
            through_value(&Nested {
                zeta: External::Struct { y: true, x: '字' },
                alpha: vec![
                    External::Unit,
                    External::New(3),
                    External::Tuple(1, text.into()),
                ],
                rest: [("aa".to_owned(), 1), ("zz".to_owned(), 2)].into(),
                bytes: b"\x00\xff",
                unit: (),
                tuple: (255, -128),
                float: 1.5,
                nan: f64::NAN,
            }),
            through_value(&keys),
            through_value(&json!({"z": [1, {"b": null, "a": [true, false]}], "": "x", "y": -3})),
            through_value(&text),
            through_value(&[1u128, 2]),
        ];
        for (got, want) in cases.iter().zip(&expected) {
            assert_eq!(String::from_utf8_lossy(got), String::from_utf8_lossy(want));
        }
    }

    #[test]
    fn every_control_character_and_escape_as_serde_json_writes_it() {
        for c in (0u32..0x100).chain([0x2028, 0x2029, 0xfeff, 0x1_0000]) {
            let s: String = ['a', char::from_u32(c).unwrap(), 'b'].iter().collect();
            let mut got = Vec::new();
            write_str(&mut got, &s);
            assert_eq!(got, serde_json::to_vec(&s).unwrap(), "U+{c:04X}");
        }
    }

    #[test]
    fn a_later_member_of_the_same_key_replaces_the_earlier_as_in_a_value() {
        #[derive(Serialize)]
        struct Twice {
            a: u64,
            #[serde(flatten)]
            more: BTreeMap<&'static str, u64>,
        }
        let twice = Twice {
            a: 1,
            more: [("a", 2), ("b", 3)].into(),
        };
        assert_eq!(to_vec(&twice).unwrap(), through_value(&twice));
        assert_eq!(to_vec(&twice).unwrap(), br#"{"a":2,"b":3}"#);
    }

    #[test]
    fn the_extra_member_takes_its_sorted_place() {
        let v = json!({"type": "x", "voted": 2, "a": 1});
        assert_eq!(
            to_vec_with(&v, "v", b"1").unwrap(),
            br#"{"a":1,"type":"x","v":1,"voted":2}"#
        );
        assert!(to_vec_with(&3u8, "v", b"1").is_err());
        // As `Map::insert` into the value: the extra member wins.
        let with_v = json!({"v": 2, "a": 1});
        assert_eq!(
            to_vec_with(&with_v, "v", b"1").unwrap(),
            br#"{"a":1,"v":1}"#
        );
        let _: Value = serde_json::from_slice(&to_vec(&v).unwrap()).unwrap();
    }
}
