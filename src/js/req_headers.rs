//! `req.headers`, built on first read (issue 14). Many handlers never read
//! the headers, and building the object cost a name, a value and a shape
//! step per header on every request. The engine leaves them on each `req`
//! as one packed string instead, the hidden `__rawHeaders`
//! (`name NUL value NUL …`, see `convert::packed_headers`), and this native
//! accessor on `reqProto` turns it into the object on first read and makes
//! that an own, enumerable property, so later reads are plain and a
//! mutation or an assignment sticks, as with the other lazy members.

use rquickjs::function::This;
use rquickjs::object::{Accessor, Property};
use rquickjs::{Ctx, Object, Value};

/// The hidden own property of every `req` holding its packed headers.
pub(crate) const RAW_HEADERS: &str = "__rawHeaders";

/// Defines the `headers` accessor on `proto` (the prelude's `reqProto`,
/// and `callCtxProto` for a resolver's or MCP handler's `ctx`).
pub(crate) fn install<'js>(proto: &Object<'js>) -> rquickjs::Result<()> {
    let get = |ctx: Ctx<'js>, this: This<Value<'js>>| -> rquickjs::Result<Value<'js>> {
        let headers = Object::new(ctx.clone())?;
        let Some(req) = this.0.as_object() else {
            return Ok(headers.into_value());
        };
        // `reqProto` itself (or an object that is not a `req`) has no text:
        // an empty object, not kept.
        let Some(raw) = req.get::<_, Value>(RAW_HEADERS)?.into_string() else {
            return Ok(headers.into_value());
        };
        let text = raw.to_string()?;
        let mut parts = text.split('\0');
        while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
            headers.set(name, value)?;
        }
        own(req, headers.clone().into_value())?;
        Ok(headers.into_value())
    };
    let set = |this: This<Value<'js>>, value: Value<'js>| -> rquickjs::Result<()> {
        match this.0.as_object() {
            Some(req) => own(req, value),
            None => Ok(()),
        }
    };
    proto.prop("headers", Accessor::new(get, set).configurable())
}

/// `req.headers = value` as an own, writable, enumerable, configurable data
/// property, as an assignment to a plain object makes it.
fn own<'js>(req: &Object<'js>, value: Value<'js>) -> rquickjs::Result<()> {
    req.prop(
        "headers",
        Property::from(value).writable().enumerable().configurable(),
    )
}
