//! Uploaded files as scripts see them (`req.files[i]`, REQ-HTTP-008).
//!
//! Small files arrive in memory. Big ones were spooled to a temporary file
//! by the HTTP layer, which owns them for the request: `bytes` is a lazy
//! getter that reads the file into JS when first accessed, and only holds a
//! weak handle, so the file is deleted when the request ends whatever JS
//! still references.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use rquickjs::function::This;
use rquickjs::object::{Accessor, Property};
use rquickjs::{Ctx, Exception, Object, TypedArray, Value};

use super::context::Shared;
use super::{ScriptRequest, UploadedFile};

/// An upload written to the spool directory. The file is removed when the
/// last handle is dropped.
#[derive(Debug)]
pub struct SpooledFile {
    path: tempfile::TempPath,
    size: u64,
}

impl SpooledFile {
    pub fn new(path: tempfile::TempPath, size: u64) -> SpooledFile {
        SpooledFile { path, size }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Where an uploaded file's bytes are.
#[derive(Debug)]
pub enum FileData {
    Memory(Bytes),
    Spooled(Arc<SpooledFile>),
}

impl UploadedFile {
    pub fn size(&self) -> u64 {
        match &self.data {
            FileData::Memory(b) => b.len() as u64,
            FileData::Spooled(f) => f.size(),
        }
    }
}

impl ScriptRequest {
    /// Reading a spooled file blocks on the disk, which an I/O thread must
    /// not do: such requests go to the JS pool.
    pub fn has_spooled_files(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.data, FileData::Spooled(_)))
    }
}

/// The spooled files this context's requests have seen, by id, so that host
/// code can find the file behind a `req.files[i]` object.
pub(crate) struct Uploads {
    next: Cell<u64>,
    files: RefCell<HashMap<u64, Weak<SpooledFile>>>,
    memory_limit: u64,
}

impl Uploads {
    pub fn new(memory_limit: usize) -> Uploads {
        Uploads {
            next: Cell::new(1),
            files: RefCell::new(HashMap::new()),
            memory_limit: memory_limit as u64,
        }
    }

    fn add(&self, file: &Arc<SpooledFile>) -> u64 {
        let id = self.next.get();
        self.next.set(id + 1);
        let mut files = self.files.borrow_mut();
        files.retain(|_, w| w.strong_count() > 0);
        files.insert(id, Arc::downgrade(file));
        id
    }
}

/// The hidden property of a spooled `req.files[i]` naming its upload id.
/// The prelude's `assets.put` tests for it by this name.
pub(crate) const SPOOLED_KEY: &str = "__spooled";

/// The spooled file behind an uploaded-file object, while its request
/// lasts: host code (`assets.put`) can copy it from `path()` without
/// loading it into JS. None for in-memory files, other values, and uploads
/// whose request has ended.
pub(crate) fn spooled_file(shared: &Shared, file: &Object<'_>) -> Option<Arc<SpooledFile>> {
    let id: f64 = file.get(SPOOLED_KEY).ok()?;
    shared.uploads.files.borrow().get(&(id as u64))?.upgrade()
}

/// `{name, filename, contentType, size, bytes}` for one uploaded file.
pub(crate) fn file_object<'js>(
    ctx: &Ctx<'js>,
    uploads: &Uploads,
    f: &UploadedFile,
) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("name", f.field.as_str())?;
    o.set("filename", f.filename.as_str())?;
    o.set("contentType", f.content_type.as_str())?;
    o.set("size", f.size() as f64)?;
    match &f.data {
        FileData::Memory(b) => o.set("bytes", TypedArray::<u8>::new_copy(ctx.clone(), &b[..])?)?,
        FileData::Spooled(file) => {
            o.prop(SPOOLED_KEY, Property::from(uploads.add(file) as f64))?;
            let weak = Arc::downgrade(file);
            let (limit, name) = (uploads.memory_limit, f.filename.clone());
            let getter = move |ctx: Ctx<'js>, this: This<Object<'js>>| {
                let arr = load(&ctx, &weak, limit, &name)?;
                // Later reads see the same array, like an eager property.
                this.0.prop(
                    "bytes",
                    Property::from(arr.clone())
                        .writable()
                        .enumerable()
                        .configurable(),
                )?;
                Ok::<Value<'js>, rquickjs::Error>(arr)
            };
            o.prop(
                "bytes",
                Accessor::new_get(getter).enumerable().configurable(),
            )?;
        }
    }
    Ok(o)
}

fn load<'js>(
    ctx: &Ctx<'js>,
    weak: &Weak<SpooledFile>,
    limit: u64,
    name: &str,
) -> rquickjs::Result<Value<'js>> {
    let Some(file) = weak.upgrade() else {
        return Err(Exception::throw_message(
            ctx,
            &format!("req.files[i].bytes: the upload {name:?} is gone; uploaded files are deleted when the request ends, so read them before the handler returns its response"),
        ));
    };
    if file.size() > limit {
        return Err(Exception::throw_range(
            ctx,
            &format!(
                "req.files[i].bytes: the upload {name:?} is {} bytes, more than this script's memory limit (js.memory_limit_bytes = {limit}); raise js.memory_limit_bytes to read it in JavaScript",
                file.size()
            ),
        ));
    }
    // Allocated by QuickJS, so the script's memory limit applies to it.
    let ctor: rquickjs::function::Constructor = ctx.globals().get("Uint8Array")?;
    let arr: TypedArray<u8> = ctor.construct((file.size() as f64,))?;
    let read = arr.as_raw().map_or(Ok(()), |raw| {
        // SAFETY: the array was created just above and no other reference
        // to its buffer exists; no JS runs until the read has finished, so
        // the buffer cannot be detached or resized meanwhile.
        let dst = unsafe { &mut *raw.as_ptr() };
        std::fs::File::open(file.path()).and_then(|mut h| h.read_exact(dst))
    });
    read.map_err(|e| {
        Exception::throw_message(
            ctx,
            &format!("req.files[i].bytes: could not read the upload {name:?}: {e}"),
        )
    })?;
    Ok(arr.into_value())
}
