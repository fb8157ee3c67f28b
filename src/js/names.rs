//! The property names every request sets or reads, interned once per
//! context, and the shapes of `req` kept alive between requests.
//!
//! Issue 14, from a callgrind profile of `GET /hello` (71,000 instructions):
//! - naming a property by `&str` makes QuickJS hash the string and probe the
//!   runtime's atom table on every use (`JS_NewAtomLen`, about 4,700);
//! - a property added to an object follows a cached shape transition only
//!   while some object still has the next shape. Each `req` is freed after
//!   its response, and its shapes with it, so every request rebuilt them
//!   (`add_property`, about 4,700). One anchor object per shape `req` has
//!   taken on its way keeps the transitions cached.
//!
//! Properties are defined (own, writable, enumerable, configurable data
//! properties, as an assignment to a new key makes them), not assigned, so
//! QuickJS does not walk the prototype chain for a setter either.

use std::cell::RefCell;

use rquickjs::{qjs, Array, Ctx, Object, Value};

macro_rules! names {
    ($($id:ident = $text:literal,)*) => {
        /// A name interned by [`Names`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum Name { $($id,)* }
        const TEXTS: &[&str] = &[$($text,)*];
    };
}

names! {
    Method = "method",
    Path = "path",
    Url = "url",
    Version = "version",
    Query = "query",
    Params = "params",
    RawHeaders = "__rawHeaders", // super::req_headers::RAW_HEADERS
    Cookies = "cookies",
    Ip = "ip",
    RequestId = "requestId",
    Body = "body",
    Json = "json",
    Form = "form",
    Files = "files",
    Auth = "auth",
    Internal = "__aiwebengine",
    ReqProto = "reqProto",
    CallCtxProto = "callCtxProto",
    Variables = "variables",
    ReqShapes = "reqShapes",
    Handlers = "handlers",
    Anonymous = "anonymous",
    CurrentAuth = "currentAuth",
}

/// At most this many distinct `req` shapes are kept per context (a request
/// has one of a few: with or without a query, params, cookies, a JSON body,
/// a form, files); others are built the slow way.
const MAX_SHAPES: usize = 16;

/// A scratch buffer grown past this by one large request is let go.
const MAX_SCRATCH: usize = 16 * 1024;

/// Interned names of one runtime. Must be dropped before the runtime: it is
/// the first field of [`super::context::ScriptContext`], which owns the
/// context that keeps the runtime alive.
pub(crate) struct Names {
    rt: *mut qjs::JSRuntime,
    atoms: Box<[qjs::JSAtom]>,
    /// The `req` shapes that have anchors, as the names in definition order.
    shapes: RefCell<Vec<Box<[Name]>>>,
    /// Reused text buffer (the packed headers of each `req`).
    scratch: RefCell<String>,
}

impl Names {
    pub fn new(ctx: &Ctx<'_>) -> rquickjs::Result<Names> {
        let raw = ctx.as_raw().as_ptr();
        // SAFETY: `raw` is a live context; every atom made here is freed in
        // `drop`, while the runtime is still alive.
        let rt = unsafe { qjs::JS_GetRuntime(raw) };
        let mut names = Names {
            rt,
            atoms: Box::new([]),
            shapes: RefCell::new(Vec::new()),
            scratch: RefCell::new(String::new()),
        };
        let mut atoms = Vec::with_capacity(TEXTS.len());
        for text in TEXTS {
            let atom = unsafe { qjs::JS_NewAtomLen(raw, text.as_ptr().cast(), text.len() as _) };
            if atom == qjs::JS_ATOM_NULL {
                names.atoms = atoms.into();
                return Err(rquickjs::Error::Exception);
            }
            atoms.push(atom);
        }
        names.atoms = atoms.into();
        Ok(names)
    }

    fn atom(&self, name: Name) -> qjs::JSAtom {
        self.atoms[name as usize]
    }

    /// Runs `f` with this context's scratch text buffer (not re-entrant).
    pub fn with_scratch<T>(&self, f: impl FnOnce(&mut String) -> T) -> T {
        let mut text = self.scratch.borrow_mut();
        let out = f(&mut text);
        if text.capacity() > MAX_SCRATCH {
            *text = String::new();
        }
        out
    }

    /// `obj[name]`.
    pub fn get<'js>(
        &self,
        ctx: &Ctx<'js>,
        obj: &Object<'js>,
        name: Name,
    ) -> rquickjs::Result<Value<'js>> {
        // SAFETY: the atom belongs to this runtime (`Names` is per context);
        // JS_GetProperty returns an owned value or JS_EXCEPTION.
        let v =
            unsafe { qjs::JS_GetProperty(ctx.as_raw().as_ptr(), obj.as_raw(), self.atom(name)) };
        if unsafe { qjs::JS_IsException(v) } {
            return Err(rquickjs::Error::Exception);
        }
        Ok(unsafe { Value::from_raw(ctx.clone(), v) })
    }

    /// `obj[name]`, which must be an object (a prototype, say).
    pub fn object<'js>(
        &self,
        ctx: &Ctx<'js>,
        obj: &Object<'js>,
        name: Name,
    ) -> rquickjs::Result<Object<'js>> {
        self.get(ctx, obj, name)?
            .into_object()
            .ok_or(rquickjs::Error::new_from_js("value", "object"))
    }

    /// The prelude's internal object, `globalThis.__aiwebengine`.
    pub fn internal<'js>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
        self.object(ctx, &ctx.globals(), Name::Internal)
    }

    /// Defines `obj[name] = value` as an own data property.
    pub fn define<'js>(
        &self,
        ctx: &Ctx<'js>,
        obj: &Object<'js>,
        name: Name,
        value: Value<'js>,
    ) -> rquickjs::Result<()> {
        let raw = ctx.as_raw().as_ptr();
        // SAFETY: the definition takes its own reference to the value.
        let v = unsafe { qjs::JS_DupValue(raw, value.as_raw()) };
        define_raw(raw, obj, self.atom(name), v, flags(name))
    }

    /// Defines `obj[name] = s` as an own data property holding a string.
    pub fn define_str<'js>(
        &self,
        ctx: &Ctx<'js>,
        obj: &Object<'js>,
        name: Name,
        s: &str,
    ) -> rquickjs::Result<()> {
        define_str_at(ctx, obj, self.atom(name), s, flags(name))
    }

    /// Keeps the shapes `req` passed through while `defined` were defined on
    /// an object with prototype `proto`, by one anchor object per shape,
    /// held by the internal object. Once per distinct order of names: the
    /// order alone names the prototype, as a `req` starts with `method` and
    /// a resolver's `ctx` (prototype `callCtxProto`) with `__rawHeaders`.
    pub fn keep_shapes<'js>(
        &self,
        ctx: &Ctx<'js>,
        internal: &Object<'js>,
        proto: &Object<'js>,
        defined: &Defined,
    ) -> rquickjs::Result<()> {
        let order = defined.names();
        {
            let shapes = self.shapes.borrow();
            if shapes.len() >= MAX_SHAPES || shapes.iter().any(|s| **s == *order) {
                return Ok(());
            }
        }
        let anchors = match self.get(ctx, internal, Name::ReqShapes)?.into_array() {
            Some(a) => a,
            None => {
                let a = Array::new(ctx.clone())?;
                self.define(ctx, internal, Name::ReqShapes, a.clone().into_value())?;
                a
            }
        };
        let undefined = Value::new_undefined(ctx.clone());
        for len in 0..=order.len() {
            let anchor = Object::new_proto(ctx.clone(), Some(proto))?;
            for &name in &order[..len] {
                self.define(ctx, &anchor, name, undefined.clone())?;
            }
            anchors.set(anchors.len(), anchor)?;
        }
        self.shapes.borrow_mut().push(order.into());
        Ok(())
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        for &atom in &*self.atoms {
            // SAFETY: made by JS_NewAtomLen in `new`; the runtime outlives
            // this value (see the type's doc).
            unsafe { qjs::JS_FreeAtomRT(self.rt, atom) };
        }
    }
}

/// Defines `obj[atom] = s` (a string) as an own data property.
fn define_str_at<'js>(
    ctx: &Ctx<'js>,
    obj: &Object<'js>,
    atom: qjs::JSAtom,
    s: &str,
    flags: u32,
) -> rquickjs::Result<()> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: `s` is valid UTF-8 of `s.len()` bytes; the new string is owned
    // and its reference passes to the definition.
    let v = unsafe { qjs::JS_NewStringLen(raw, s.as_ptr().cast(), s.len() as _) };
    if unsafe { qjs::JS_IsException(v) } {
        return Err(rquickjs::Error::Exception);
    }
    define_raw(raw, obj, atom, v, flags)
}

/// Takes ownership of `v`.
fn define_raw(
    raw: *mut qjs::JSContext,
    obj: &Object<'_>,
    atom: qjs::JSAtom,
    v: qjs::JSValue,
    flags: u32,
) -> rquickjs::Result<()> {
    let flags = (flags | qjs::JS_PROP_THROW) as _;
    // SAFETY: `obj` is a live object of this context; the call consumes `v`.
    let r = unsafe { qjs::JS_DefinePropertyValue(raw, obj.as_raw(), atom, v, flags) };
    if r < 0 {
        return Err(rquickjs::Error::Exception);
    }
    Ok(())
}

/// How `name` is defined: as an assignment to a new key would (own,
/// writable, enumerable, configurable), except the engine's hidden
/// `__rawHeaders`, which `Object.keys`, `for…in` and `JSON.stringify` skip.
/// The shape anchors use the same flags, so their shapes are `req`'s.
fn flags(name: Name) -> u32 {
    match name {
        Name::RawHeaders => qjs::JS_PROP_CONFIGURABLE | qjs::JS_PROP_WRITABLE,
        _ => qjs::JS_PROP_C_W_E,
    }
}

/// The names defined on one `req`, in order, for [`Names::keep_shapes`];
/// not `exact` once something was defined that the anchors cannot repeat.
pub(crate) struct Defined {
    names: [Name; 24],
    len: usize,
    exact: bool,
}

impl Defined {
    pub fn new() -> Defined {
        Defined {
            names: [Name::Method; 24],
            len: 0,
            exact: true,
        }
    }

    pub fn push(&mut self, name: Name) {
        if self.len == self.names.len() {
            self.exact = false;
            return;
        }
        self.names[self.len] = name;
        self.len += 1;
    }

    /// Something other than a [`Name`] was defined (its shape is not kept).
    pub fn other(&mut self) {
        self.exact = false;
    }

    pub fn exact(&self) -> bool {
        self.exact
    }

    fn names(&self) -> &[Name] {
        &self.names[..self.len]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_packed_headers_name_is_the_one_the_accessor_reads() {
        assert_eq!(
            super::TEXTS[super::Name::RawHeaders as usize],
            super::super::req_headers::RAW_HEADERS
        );
    }
}
