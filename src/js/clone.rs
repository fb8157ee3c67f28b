//! Structured clone: a JS value as a [`KvValue`] and back, for `kv`
//! values and `structuredClone` (plain data, `Uint8Array`, `Date`, `Map`,
//! `Set`; nothing with behaviour).

use rquickjs::{
    Array, ArrayBuffer, BigInt, Constructor, Ctx, Exception, Function, Object, TypedArray, Value,
};

use crate::kv::KvValue;

/// Nesting depth at which a value is refused (also catches cycles).
const MAX_DEPTH: usize = 64;

/// Bytes of a Uint8Array or ArrayBuffer, copied.
pub(crate) fn bytes_of(v: &Value<'_>) -> Option<Vec<u8>> {
    let obj = v.as_object()?;
    if let Ok(ta) = TypedArray::<u8>::from_object(obj.clone()) {
        // SAFETY: the slice is copied at once, before any JS can run and
        // detach or resize the buffer.
        return Some(unsafe { ta.as_bytes() }.unwrap_or_default().to_vec());
    }
    let ab = ArrayBuffer::from_object(obj.clone())?;
    // SAFETY: as above.
    Some(unsafe { ab.as_bytes() }.unwrap_or_default().to_vec())
}

fn instance_of<'js>(ctx: &Ctx<'js>, o: &Object<'js>, name: &str) -> bool {
    ctx.globals()
        .get::<_, Value>(name)
        .is_ok_and(|c| c.is_function() && o.is_instance_of(&c))
}

/// A structured-clone-able JS value as a [`KvValue`].
pub(crate) fn to_value<'js>(
    ctx: &Ctx<'js>,
    v: Value<'js>,
    depth: usize,
) -> rquickjs::Result<KvValue> {
    if depth > MAX_DEPTH {
        return Err(Exception::throw_type(
            ctx,
            &format!("the value is nested deeper than {MAX_DEPTH} levels (or is circular); it cannot be cloned or stored"),
        ));
    }
    if v.is_undefined() {
        return Ok(KvValue::Undefined);
    }
    if v.is_null() {
        return Ok(KvValue::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(KvValue::Bool(b));
    }
    if let Some(n) = v.as_number() {
        return Ok(KvValue::Number(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(KvValue::String(s.to_string()?));
    }
    if let Some(b) = v.as_big_int() {
        return Ok(KvValue::BigInt(b.clone().to_i64()?));
    }
    if v.is_function() || v.is_symbol() || v.is_promise() {
        return Err(Exception::throw_type(
            ctx,
            &format!("a {} cannot be cloned or stored; store plain data (objects, arrays, strings, numbers, Uint8Array, Date, Map, Set)", v.type_name()),
        ));
    }
    if let Some(bytes) = bytes_of(&v) {
        return Ok(KvValue::Bytes(crate::kv::value::Bin(bytes)));
    }
    if let Some(arr) = v.as_array() {
        let items = arr
            .iter::<Value>()
            .map(|x| to_value(ctx, x?, depth + 1))
            .collect::<rquickjs::Result<_>>()?;
        return Ok(KvValue::Array(items));
    }
    let Some(obj) = v.as_object() else {
        return Err(Exception::throw_type(
            ctx,
            "this value cannot be cloned or stored",
        ));
    };
    if instance_of(ctx, obj, "Date") {
        let get_time: Function = obj.get("getTime")?;
        let t: f64 = get_time.call((rquickjs::function::This(obj.clone()),))?;
        return Ok(KvValue::Date(t));
    }
    let is_map = instance_of(ctx, obj, "Map");
    if is_map || instance_of(ctx, obj, "Set") {
        let from: Function = ctx.globals().get::<_, Object>("Array")?.get("from")?;
        let items: Array = from.call((obj.clone(),))?;
        if is_map {
            let mut pairs = Vec::with_capacity(items.len());
            for pair in items.iter::<Array>() {
                let pair = pair?;
                pairs.push((
                    to_value(ctx, pair.get(0)?, depth + 1)?,
                    to_value(ctx, pair.get(1)?, depth + 1)?,
                ));
            }
            return Ok(KvValue::Map(pairs));
        }
        let vals = items
            .iter::<Value>()
            .map(|x| to_value(ctx, x?, depth + 1))
            .collect::<rquickjs::Result<_>>()?;
        return Ok(KvValue::Set(vals));
    }
    let mut fields = Vec::new();
    // Keys as JS strings: rquickjs's Atom -> String conversion stops at
    // the first NUL, which stored {"a\0b": 1} as {"a": 1} (found by the
    // js_value fuzz target).
    for prop in obj.props::<rquickjs::String, Value>() {
        let (k, val) = prop?;
        if val.is_function() {
            continue;
        }
        fields.push((k.to_string()?, to_value(ctx, val, depth + 1)?));
    }
    Ok(KvValue::Object(fields))
}

/// A number as JS, keeping -0: rquickjs' `new_number` makes every
/// integral f64 an int, and there is no int -0 (a stored -0 read back as +0,
/// found by the `js_value` fuzz target).
pub(crate) fn number<'js>(ctx: &Ctx<'js>, n: f64) -> Value<'js> {
    if n == 0.0 && n.is_sign_negative() {
        Value::new_float(ctx.clone(), n)
    } else {
        Value::new_number(ctx.clone(), n)
    }
}

/// A stored value back as JS.
pub(crate) fn from_value<'js>(ctx: &Ctx<'js>, v: KvValue) -> rquickjs::Result<Value<'js>> {
    Ok(match v {
        KvValue::Undefined => Value::new_undefined(ctx.clone()),
        KvValue::Null => Value::new_null(ctx.clone()),
        KvValue::Bool(b) => Value::new_bool(ctx.clone(), b),
        KvValue::Number(n) => number(ctx, n),
        KvValue::BigInt(b) => BigInt::from_i64(ctx.clone(), b)?.into_value(),
        KvValue::String(s) => rquickjs::String::from_str(ctx.clone(), &s)?.into_value(),
        KvValue::Bytes(b) => TypedArray::<u8>::new(ctx.clone(), b.0)?.into_value(),
        KvValue::Date(t) => {
            let date: Constructor = ctx.globals().get("Date")?;
            date.construct::<_, Value>((t,))?
        }
        KvValue::Array(items) => {
            let arr = Array::new(ctx.clone())?;
            for (i, x) in items.into_iter().enumerate() {
                arr.set(i, from_value(ctx, x)?)?;
            }
            arr.into_value()
        }
        KvValue::Object(fields) => {
            let o = Object::new(ctx.clone())?;
            for (k, x) in fields {
                // Defined, not assigned: a stored "__proto__" key stays data.
                let p = rquickjs::object::Property::from(from_value(ctx, x)?)
                    .writable()
                    .enumerable()
                    .configurable();
                o.prop(k, p)?;
            }
            o.into_value()
        }
        KvValue::Map(pairs) => {
            let map: Object = ctx.globals().get::<_, Constructor>("Map")?.construct(())?;
            let set: Function = map.get("set")?;
            for (k, x) in pairs {
                set.call::<_, Value>((
                    rquickjs::function::This(map.clone()),
                    from_value(ctx, k)?,
                    from_value(ctx, x)?,
                ))?;
            }
            map.into_value()
        }
        KvValue::Set(items) => {
            let set_obj: Object = ctx.globals().get::<_, Constructor>("Set")?.construct(())?;
            let add: Function = set_obj.get("add")?;
            for x in items {
                add.call::<_, Value>((
                    rquickjs::function::This(set_obj.clone()),
                    from_value(ctx, x)?,
                ))?;
            }
            set_obj.into_value()
        }
    })
}
