//! The direct writer for any [`Serialize`] value: the YAML that [`super::write_yaml`] writes
//! for the value's JSON form, written without building that form.
//!
//! A generated object (a k8s-openapi struct) would otherwise become a [`Value`] first: a
//! `String` for every key and a map node for every struct, all dropped once written. This
//! serializer writes each field as it comes, with the same scalars, layout and empty
//! collections as the value writer, and keeps mapping keys sorted as a JSON map would: a field
//! that arrives before a key it sorts after (structs list their fields in declaration order) is
//! moved into place among the entries already written. Whatever it does not handle the way
//! `serde_json::to_value` would (a map key that is no string, a duplicate key, an enum with
//! data, a scalar or empty collection at the root) makes it give up, and the caller writes the
//! value's JSON form instead, so the output is the same either way.

use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

use super::{indent, write_bool, write_integer, write_key, write_scalar, write_string};

/// Appends `value` as one document, without a leading `---`, exactly as
/// `write_yaml(out, &serde_json::to_value(value))` would.
pub fn write_serialized<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    let start = out.len();
    if write_direct(out, value).is_ok() {
        return;
    }
    out.truncate(start);
    // The JSON form holds nothing `to_value` rejects unless the direct writer gave up on it
    // too; such a value is written as `null`, as a JSON value that failed would be.
    let value = serde_json::to_value(value).unwrap_or(Value::Null);
    super::write_yaml(out, &value);
}

/// The direct writer alone; on `Err` what it wrote is to be discarded.
fn write_direct<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result {
    let mut ctx = Ctx {
        out,
        entries: Vec::new(),
        keys: String::new(),
    };
    value.serialize(Ser {
        ctx: &mut ctx,
        pos: Pos::Root,
    })
}

/// Where a value goes, which decides how it opens and where its lines start.
#[derive(Clone, Copy)]
enum Pos {
    /// The document itself.
    Root,
    /// After `key:` of a key at this column.
    Value(usize),
    /// After `- ` of a dash at this column.
    Item(usize),
}

impl Pos {
    /// The column of a mapping's keys here.
    fn keys(self) -> usize {
        match self {
            Pos::Root => 0,
            Pos::Value(col) | Pos::Item(col) => col + 2,
        }
    }

    /// The column of a sequence's dashes here: a sequence under a key is flush with it.
    fn dashes(self) -> usize {
        match self {
            Pos::Root => 0,
            Pos::Value(col) => col,
            Pos::Item(col) => col + 2,
        }
    }
}

/// Why the direct writer gave up; the caller then writes the JSON form.
#[derive(Debug)]
pub struct GiveUp;

impl Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("written from the JSON form instead")
    }
}

impl std::error::Error for GiveUp {}

impl ser::Error for GiveUp {
    fn custom<T: Display>(_: T) -> Self {
        GiveUp
    }
}

type Result<T = ()> = std::result::Result<T, GiveUp>;

/// One entry written of a mapping still open: its key (a range of [`Ctx::keys`]) and where its
/// text starts in the output.
#[derive(Clone, Copy)]
struct Entry {
    key: (usize, usize),
    start: usize,
}

/// What every open collection of one document shares: the output, and the entries of the
/// open mappings, innermost last.
struct Ctx<'o> {
    out: &'o mut String,
    entries: Vec<Entry>,
    keys: String,
}

impl Ctx<'_> {
    fn key(&self, entry: Entry) -> &str {
        &self.keys[entry.key.0..entry.key.1]
    }

    /// A scalar at `pos`, ending its line.
    fn scalar(&mut self, pos: Pos, write: impl FnOnce(&mut String, usize) -> Option<()>) -> Result {
        let body = match pos {
            Pos::Root => return Err(GiveUp),
            Pos::Value(col) => {
                self.out.push(' ');
                col + 2
            }
            Pos::Item(col) => col + 2,
        };
        write(self.out, body).ok_or(GiveUp)
    }
}

struct Ser<'c, 'o> {
    ctx: &'c mut Ctx<'o>,
    pos: Pos,
}

impl<'c, 'o> Ser<'c, 'o> {
    fn value(self, value: &Value) -> Result {
        self.ctx
            .scalar(self.pos, |out, body| write_scalar(out, value, body))
    }

    fn integer(self, n: impl itoa::Integer) -> Result {
        self.ctx.scalar(self.pos, |out, _| {
            write_integer(out, n);
            Some(())
        })
    }

    fn mapping(self) -> Mapping<'c, 'o> {
        Mapping {
            base: self.ctx.entries.len(),
            keys_base: self.ctx.keys.len(),
            ctx: self.ctx,
            pos: self.pos,
            key: None,
        }
    }

    fn sequence(self) -> Sequence<'c, 'o> {
        Sequence {
            ctx: self.ctx,
            pos: self.pos,
            items: 0,
        }
    }
}

impl<'c, 'o> ser::Serializer for Ser<'c, 'o> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Sequence<'c, 'o>;
    type SerializeTuple = Sequence<'c, 'o>;
    type SerializeTupleStruct = Sequence<'c, 'o>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Mapping<'c, 'o>;
    type SerializeStruct = Mapping<'c, 'o>;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_bool(self, v: bool) -> Result {
        self.ctx.scalar(self.pos, |out, _| {
            write_bool(out, v);
            Some(())
        })
    }

    fn serialize_i8(self, v: i8) -> Result {
        self.integer(v)
    }

    fn serialize_i16(self, v: i16) -> Result {
        self.integer(v)
    }

    fn serialize_i32(self, v: i32) -> Result {
        self.integer(v)
    }

    fn serialize_i64(self, v: i64) -> Result {
        self.integer(v)
    }

    fn serialize_i128(self, v: i128) -> Result {
        if i64::try_from(v).is_ok() || u64::try_from(v).is_ok() {
            self.integer(v)
        } else {
            Err(GiveUp)
        }
    }

    fn serialize_u8(self, v: u8) -> Result {
        self.integer(v)
    }

    fn serialize_u16(self, v: u16) -> Result {
        self.integer(v)
    }

    fn serialize_u32(self, v: u32) -> Result {
        self.integer(v)
    }

    fn serialize_u64(self, v: u64) -> Result {
        self.integer(v)
    }

    fn serialize_u128(self, v: u128) -> Result {
        if u64::try_from(v).is_ok() {
            self.integer(v)
        } else {
            Err(GiveUp)
        }
    }

    fn serialize_f32(self, v: f32) -> Result {
        self.value(&Value::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result {
        self.value(&Value::from(v))
    }

    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result {
        self.ctx
            .scalar(self.pos, |out, body| write_string(out, v, body))
    }

    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(GiveUp)
    }

    fn serialize_none(self) -> Result {
        self.value(&Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.value(&Value::Null)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.value(&Value::Null)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(GiveUp)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Sequence<'c, 'o>> {
        Ok(self.sequence())
    }

    fn serialize_tuple(self, _: usize) -> Result<Sequence<'c, 'o>> {
        Ok(self.sequence())
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Sequence<'c, 'o>> {
        Ok(self.sequence())
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Mapping<'c, 'o>> {
        Ok(self.mapping())
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Mapping<'c, 'o>> {
        Ok(self.mapping())
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }
}

/// An open sequence: its items are written as they come.
struct Sequence<'c, 'o> {
    ctx: &'c mut Ctx<'o>,
    pos: Pos,
    items: usize,
}

impl ser::SerializeSeq for Sequence<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let dashes = self.pos.dashes();
        match (self.pos, self.items) {
            (Pos::Value(_), 0) => {
                self.ctx.out.push('\n');
                indent(self.ctx.out, dashes);
            }
            (Pos::Item(_), 0) => {}
            _ => indent(self.ctx.out, dashes),
        }
        self.items += 1;
        self.ctx.out.push_str("- ");
        value.serialize(Ser {
            ctx: &mut *self.ctx,
            pos: Pos::Item(dashes),
        })
    }

    fn end(self) -> Result {
        if self.items > 0 {
            return Ok(());
        }
        match self.pos {
            Pos::Root => return Err(GiveUp),
            Pos::Value(_) => self.ctx.out.push_str(" []\n"),
            Pos::Item(_) => self.ctx.out.push_str("[]\n"),
        }
        Ok(())
    }
}

impl ser::SerializeTuple for Sequence<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Sequence<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

/// An open mapping (a struct or a map): its entries are `ctx.entries[base..]`, in key order.
struct Mapping<'c, 'o> {
    ctx: &'c mut Ctx<'o>,
    pos: Pos,
    base: usize,
    keys_base: usize,
    /// A map's key, given before its value: its range in `ctx.keys`.
    key: Option<(usize, usize)>,
}

impl Mapping<'_, '_> {
    /// Writes the entry of the key at `key` (a range of `ctx.keys`), then moves it among the
    /// entries before it if its key sorts before theirs.
    fn entry<T: Serialize + ?Sized>(&mut self, key: (usize, usize), value: &T) -> Result {
        let column = self.pos.keys();
        let first = self.ctx.entries.len() == self.base;
        if first && matches!(self.pos, Pos::Value(_)) {
            self.ctx.out.push('\n');
        }
        let start = self.ctx.out.len();
        let inline = first && matches!(self.pos, Pos::Item(_));
        if !inline {
            indent(self.ctx.out, column);
        }
        write_key(self.ctx.out, &self.ctx.keys[key.0..key.1]).ok_or(GiveUp)?;
        self.ctx.out.push(':');
        value.serialize(Ser {
            ctx: &mut *self.ctx,
            pos: Pos::Value(column),
        })?;
        let entry = Entry { key, start };
        let open = &self.ctx.entries[self.base..];
        let name = self.ctx.key(entry);
        match open.last().map(|last| self.ctx.key(*last).cmp(name)) {
            None | Some(std::cmp::Ordering::Less) => {
                self.ctx.entries.push(entry);
                Ok(())
            }
            Some(std::cmp::Ordering::Equal) => Err(GiveUp),
            Some(std::cmp::Ordering::Greater) => self.insert(entry),
        }
    }

    /// Moves the text of `entry`, the last one written, before the first open entry whose key
    /// sorts after its key.
    fn insert(&mut self, entry: Entry) -> Result {
        let name = self.ctx.key(entry);
        let open = &self.ctx.entries[self.base..];
        let at = match open.binary_search_by(|e| self.ctx.key(*e).cmp(name)) {
            Ok(_) => return Err(GiveUp),
            Err(at) => self.base + at,
        };
        let before = self.ctx.entries[at].start;
        let out = &mut *self.ctx.out;
        // The text becomes moved + displaced: the shorter of the two is copied aside and the
        // longer one (a ConfigMap's data, say, that sorts before `kind`) moved once in place.
        // The first entry continues the `- ` line after a dash: the moved one then takes its
        // place without its indentation, and the one it displaces gets that indentation.
        let shift = out.len() - entry.start;
        let column = if at == self.base && matches!(self.pos, Pos::Item(_)) {
            self.pos.keys()
        } else {
            0
        };
        if entry.start - before <= shift {
            let displaced = out[before..entry.start].to_owned();
            out.replace_range(before..entry.start + column, "");
            indent(out, column);
            out.push_str(&displaced);
        } else {
            let moved = out.split_off(entry.start);
            let mut head = String::with_capacity(moved.len());
            head.push_str(&moved[column..]);
            indent(&mut head, column);
            out.insert_str(before, &head);
        }
        let moved_len = shift - column;
        // The displaced entry now starts at its indentation; the ones after it moved by the
        // length of the moved entry as written.
        self.ctx.entries[at].start = before + moved_len;
        for later in &mut self.ctx.entries[at + 1..] {
            later.start += shift;
        }
        self.ctx.entries.insert(
            at,
            Entry {
                key: entry.key,
                start: before,
            },
        );
        Ok(())
    }

    fn end(self) -> Result {
        let empty = self.ctx.entries.len() == self.base;
        self.ctx.entries.truncate(self.base);
        self.ctx.keys.truncate(self.keys_base);
        if !empty {
            return Ok(());
        }
        match self.pos {
            Pos::Root => return Err(GiveUp),
            Pos::Value(_) => self.ctx.out.push_str(" {}\n"),
            Pos::Item(_) => self.ctx.out.push_str("{}\n"),
        }
        Ok(())
    }
}

impl ser::SerializeMap for Mapping<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        let start = self.ctx.keys.len();
        key.serialize(KeySer(&mut self.ctx.keys))?;
        self.key = Some((start, self.ctx.keys.len()));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let key = self.key.take().ok_or(GiveUp)?;
        self.entry(key, value)
    }

    fn end(self) -> Result {
        Mapping::end(self)
    }
}

impl ser::SerializeStruct for Mapping<'_, '_> {
    type Ok = ();
    type Error = GiveUp;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        let start = self.ctx.keys.len();
        self.ctx.keys.push_str(key);
        self.entry((start, self.ctx.keys.len()), value)
    }

    fn end(self) -> Result {
        Mapping::end(self)
    }
}

/// A map key: a string (or a char or unit variant, which JSON keeps as one); anything else
/// gives up.
struct KeySer<'k>(&'k mut String);

macro_rules! give_up {
    ($($name:ident($($arg:ty),*);)*) => {
        $(fn $name(self, $(_: $arg),*) -> Result { Err(GiveUp) })*
    };
}

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = GiveUp;
    type SerializeSeq = Impossible<(), GiveUp>;
    type SerializeTuple = Impossible<(), GiveUp>;
    type SerializeTupleStruct = Impossible<(), GiveUp>;
    type SerializeTupleVariant = Impossible<(), GiveUp>;
    type SerializeMap = Impossible<(), GiveUp>;
    type SerializeStruct = Impossible<(), GiveUp>;
    type SerializeStructVariant = Impossible<(), GiveUp>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.push_str(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result {
        self.0.push(v);
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.0.push_str(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }

    give_up! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result {
        Err(GiveUp)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(GiveUp)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_tuple(self, _: usize) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Impossible<(), GiveUp>> {
        Err(GiveUp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::tests::{TRICKY, any_value, placements};
    use crate::emit::{Writer, to_yaml};
    use proptest::prelude::*;
    use serde_json::json;

    /// What the direct writer writes, or `None` when it gives up.
    fn direct<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let mut out = String::new();
        write_direct(&mut out, value).ok().map(|()| out)
    }

    /// Whether the value writer writes `value` itself rather than handing it to serde-saphyr.
    fn value_writer_takes(value: &Value) -> bool {
        Writer {
            out: &mut String::new(),
        }
        .document(value)
        .is_some()
    }

    /// Asserts that `value` comes out as its JSON form does, and that the direct writer gives
    /// up exactly where the value writer does.
    fn assert_same<T: Serialize + ?Sized>(value: &T) {
        let json = assert_written_as_json(value);
        assert_eq!(
            direct(value).is_some(),
            value_writer_takes(&json),
            "gave up where the value writer does not, or the other way: {json}"
        );
    }

    /// Asserts that `value` comes out as its JSON form does; returns that form.
    fn assert_written_as_json<T: Serialize + ?Sized>(value: &T) -> Value {
        let json = serde_json::to_value(value).unwrap();
        let mut written = String::new();
        write_serialized(&mut written, value);
        assert_eq!(written, to_yaml(&json), "{json}");
        json
    }

    #[test]
    fn writes_what_the_value_writer_writes_for_tricky_strings_in_every_position() {
        for s in TRICKY {
            for value in placements(s) {
                assert_same(&value);
            }
        }
    }

    #[test]
    fn writes_scalars_and_empty_collections_in_every_position() {
        for leaf in [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-7),
            json!(u64::MAX),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!({}),
            json!([]),
            json!("x"),
        ] {
            for value in [
                json!({ "k": leaf }),
                json!([leaf]),
                json!([[leaf]]),
                json!([{ "k": leaf, "z": leaf }]),
                json!({ "a": { "b": [leaf, { "c": leaf }] } }),
                leaf.clone(),
            ] {
                assert_same(&value);
            }
        }
    }

    /// A struct whose fields come in the order given, as a derived struct gives its fields in
    /// declaration order, whatever their names.
    #[derive(Clone, Debug)]
    enum Node {
        Leaf(Value),
        Seq(Vec<Node>),
        Struct(Vec<(&'static str, Node)>),
    }

    impl Serialize for Node {
        fn serialize<S: ser::Serializer>(
            &self,
            serializer: S,
        ) -> std::result::Result<S::Ok, S::Error> {
            use ser::SerializeStruct as _;
            match self {
                Node::Leaf(v) => v.serialize(serializer),
                Node::Seq(items) => serializer.collect_seq(items),
                Node::Struct(fields) => {
                    let mut s = serializer.serialize_struct("Node", fields.len())?;
                    for (k, v) in fields {
                        s.serialize_field(k, v)?;
                    }
                    s.end()
                }
            }
        }
    }

    /// Field names whose byte order differs from their order in any other sense.
    const FIELDS: &[&str] = &[
        "a",
        "B",
        "aa",
        "Ab",
        "b",
        "hostIPC",
        "hostNetwork",
        "hostname",
        "apiVersion",
        "kind",
        "metadata",
        "z",
        "zz",
        "yes",
        "_x",
        "a b",
    ];

    fn any_node() -> impl Strategy<Value = Node> {
        let leaf = any_value().prop_map(Node::Leaf);
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Node::Seq),
                proptest::collection::btree_map(proptest::sample::select(FIELDS), inner, 0..7)
                    .prop_map(|fields| fields.into_iter().collect::<Vec<_>>())
                    .prop_shuffle()
                    .prop_map(Node::Struct),
            ]
        })
    }

    proptest! {
        #[test]
        fn writes_structs_in_key_order_whatever_order_their_fields_come_in(node in any_node()) {
            assert_same(&node);
            // Inline, after a dash, where a field moved to the front takes the dash line.
            assert_same(&Node::Seq(vec![node.clone(), node.clone()]));
            assert_same(&Node::Struct(vec![("z", node.clone()), ("a", Node::Seq(vec![node]))]));
        }

        #[test]
        fn writes_what_the_value_writer_writes_for_any_value(value in any_value()) {
            assert_same(&value);
        }
    }

    #[test]
    fn moves_fields_that_come_late_into_place() {
        let node = Node::Seq(vec![Node::Struct(vec![
            ("m", Node::Leaf(json!(1))),
            (
                "z",
                Node::Struct(vec![
                    ("w", Node::Leaf(json!(2))),
                    ("b", Node::Leaf(json!([3]))),
                ]),
            ),
            (
                "a",
                Node::Seq(vec![Node::Struct(vec![
                    ("q", Node::Leaf(json!("x"))),
                    ("c", Node::Leaf(json!({}))),
                ])]),
            ),
            ("A", Node::Leaf(json!("first"))),
        ])]);
        let expected = "\
- A: first
  a:
  - c: {}
    q: x
  m: 1
  z:
    b:
    - 3
    w: 2
";
        assert_eq!(direct(&node).as_deref(), Some(expected));
        assert_same(&node);
    }

    #[test]
    fn gives_up_on_what_json_keeps_another_way() {
        let duplicate = Node::Struct(vec![
            ("a", Node::Leaf(json!(1))),
            ("a", Node::Leaf(json!(2))),
        ]);
        let late_duplicate = Node::Struct(vec![
            ("b", Node::Leaf(json!(1))),
            ("c", Node::Leaf(json!(1))),
            ("b", Node::Leaf(json!(2))),
        ]);
        assert!(direct(&duplicate).is_none());
        assert!(direct(&late_duplicate).is_none());
        // JSON keeps the last of duplicate fields.
        let mut out = String::new();
        write_serialized(&mut out, &late_duplicate);
        assert_eq!(out, "b: 2\nc: 1\n");
        let number_keys: std::collections::BTreeMap<u8, u8> = [(2, 1), (10, 2)].into();
        assert!(direct(&number_keys).is_none());
        assert_written_as_json(&number_keys);
        assert!(direct(&Some(1)).is_none());
        assert_written_as_json(&Some(1));
    }

    #[test]
    fn writes_every_object_built_from_every_input_directly() {
        let mut objects = 0;
        for (_, path) in crate::parse::tests::input_files() {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            for doc in crate::parse::parse(&bytes).unwrap_or_default() {
                let (verdict, _) = crate::validate::validate(doc.value);
                let crate::validate::Validated::Cluster(cluster) = verdict else {
                    continue;
                };
                let (resolved, _) =
                    crate::normalize::normalize(*cluster, &crate::normalize::Options::default());
                for object in crate::build::build(&resolved).objects {
                    let json = object.to_value();
                    assert_eq!(direct(&object), Some(to_yaml(&json)), "{json}");
                    objects += 1;
                }
            }
        }
        assert!(objects > 500, "{objects} objects");
    }
}
