//! Resized and converted variants of image assets (REQ-ASSET-004): made on
//! first request, cached in `asset_variants` keyed by the source's sha256
//! and the parameters, and served with their own ETag.
//!
//! Bounded: the source may have at most [`MAX_INPUT_PIXELS`], the output
//! at most [`MAX_SIDE`] pixels a side, [`MAX_BUSY`] variants are made at
//! once (more get [`AssetError::Busy`]), and each source keeps at most
//! [`MAX_PER_SOURCE`] variants (the oldest goes first), so query strings
//! cannot fill the data file.

use std::collections::HashSet;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat};
use serde::{Deserialize, Serialize};

use super::repo::{AssetRepo, AssetWrite};
use super::{blob, AssetError, AssetRecord, Assets, CHUNK_SIZE};
use crate::domain::{Outcome, StorageError};

pub const MAX_INPUT_PIXELS: u64 = 40_000_000;
pub const MAX_SIDE: u32 = 4096;
pub const MAX_BUSY: usize = 2;
pub const MAX_PER_SOURCE: usize = 32;
/// What a caller waits for one variant at most.
pub const TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

mod params;

pub use params::{Fit, Format, Params};

/// One cached variant (table `asset_variants`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VariantRecord {
    /// The source's sha256.
    pub source: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub created: i64,
    pub blob: u64,
    pub chunks: u32,
}

impl VariantRecord {
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

/// Counts variants being made.
#[derive(Default)]
pub struct Gate(AtomicUsize);

struct Pass<'a>(&'a AtomicUsize);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    fn enter(&self) -> Result<Pass<'_>, AssetError> {
        if self.0.fetch_add(1, Ordering::AcqRel) >= MAX_BUSY {
            self.0.fetch_sub(1, Ordering::AcqRel);
            return Err(AssetError::Busy(format!(
                "{MAX_BUSY} image variants are being made already; try again in a moment"
            )));
        }
        Ok(Pass(&self.0))
    }
}

impl Assets {
    /// Blocking: the variant of `rec` for `params`, made and cached on
    /// first use.
    pub fn variant(&self, rec: &AssetRecord, params: &Params) -> Result<VariantRecord, AssetError> {
        let key = format!("{}|{}", rec.sha256, params.query(&rec.content_type));
        if let Some(v) = self.repo.variant(&key)? {
            return Ok(v);
        }
        let _pass = self.images.enter()?;
        let source = self.read(rec)?;
        let format = params.resolved(&rec.content_type);
        let (bytes, width, height) = render(&source, params, format)?;
        self.store_variant(&key, rec, format, &bytes, width, height)
    }

    /// Blocking: a reader of a variant's content.
    pub fn variant_reader(&self, v: &VariantRecord) -> Result<blob::BlobReader, AssetError> {
        blob::BlobReader::open(
            self.repo.as_ref(),
            "image variant",
            v.blob,
            v.chunks,
            v.size,
        )
    }

    fn store_variant(
        &self,
        key: &str,
        rec: &AssetRecord,
        format: Format,
        bytes: &[u8],
        width: u32,
        height: u32,
    ) -> Result<VariantRecord, AssetError> {
        let id = blob::new_id();
        let chunks: Vec<&[u8]> = bytes.chunks(CHUNK_SIZE).collect();
        for (i, group) in chunks.chunks(4).enumerate() {
            self.repo.write_staged(id, (i * 4) as u32, group)?;
        }
        let d = ring::digest::digest(&ring::digest::SHA256, bytes);
        let v = VariantRecord {
            source: rec.sha256.clone(),
            content_type: format.content_type().into(),
            size: bytes.len() as u64,
            sha256: d.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
            width,
            height,
            created: crate::domain::now_millis(),
            blob: id,
            chunks: chunks.len() as u32,
        };
        let mut out = Outcome::new();
        let r = self
            .repo
            .write(&mut |tx| out.put(publish_variant(tx, key, &rec.sha256, &v)));
        out.finish(r)
    }

    /// Blocking: drops the variants of a source no asset has any more.
    pub(crate) fn forget_variants(&self, sha: &str) {
        if self.index.load().values().any(|r| r.sha256 == sha) {
            return;
        }
        let prefix = format!("{sha}|");
        let r = self.repo.write(&mut |tx| {
            for (k, v) in tx.variants(&prefix)? {
                tx.remove_variant(&k)?;
                tx.delete_blob(v.blob)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            tracing::warn!("could not delete stale image variants: {e}");
        }
    }
}

/// Inside one write: points `key` at the staged variant `v`, unless
/// another request made it meanwhile (then the first is kept and `v`'s
/// blob deleted).
fn publish_variant(
    tx: &mut dyn AssetWrite,
    key: &str,
    sha: &str,
    v: &VariantRecord,
) -> Result<VariantRecord, AssetError> {
    if let Some(first) = tx.variant(key)? {
        tx.delete_blob(v.blob)?;
        return Ok(first);
    }
    evict(tx, sha)?;
    tx.put_variant(key, v)?;
    tx.unstage(v.blob)?;
    Ok(v.clone())
}

/// Makes room for one more variant of `sha` by deleting its oldest.
fn evict(tx: &mut dyn AssetWrite, sha: &str) -> Result<(), StorageError> {
    let mut all = tx.variants(&format!("{sha}|"))?;
    if all.len() < MAX_PER_SOURCE {
        return Ok(());
    }
    all.sort_by_key(|(_, v)| v.created);
    for (k, v) in all.iter().take(all.len() + 1 - MAX_PER_SOURCE) {
        tx.remove_variant(k)?;
        tx.delete_blob(v.blob)?;
    }
    Ok(())
}

/// Blocking, at start: variants whose source no asset has any more.
pub fn sweep_orphans(repo: &dyn AssetRepo, index: &super::Index) -> Result<(), StorageError> {
    let live: HashSet<&str> = index.values().map(|r| r.sha256.as_str()).collect();
    repo.write(&mut |tx| {
        for (k, v) in tx.variants("")? {
            if !live.contains(v.source.as_str()) {
                tx.remove_variant(&k)?;
                tx.delete_blob(v.blob)?;
            }
        }
        Ok(())
    })
}

/// Decodes, resizes and encodes; returns the bytes and the dimensions.
fn render(source: &[u8], p: &Params, format: Format) -> Result<(Vec<u8>, u32, u32), AssetError> {
    let bad =
        |e: image::ImageError| AssetError::Image(format!("the image could not be processed: {e}"));
    let reader = || {
        let mut r = image::ImageReader::new(Cursor::new(source))
            .with_guessed_format()
            .map_err(|e| AssetError::Image(format!("the image could not be read: {e}")))?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(50_000);
        limits.max_image_height = Some(50_000);
        limits.max_alloc = Some(MAX_INPUT_PIXELS * 4 + 64 * 1024 * 1024);
        r.limits(limits);
        Ok::<_, AssetError>(r)
    };
    let (w, h) = reader()?.into_dimensions().map_err(bad)?;
    if u64::from(w) * u64::from(h) > MAX_INPUT_PIXELS {
        return Err(AssetError::Image(format!(
            "the image is {w}x{h}, over the limit of {MAX_INPUT_PIXELS} pixels for resizing"
        )));
    }
    let img = reader()?.decode().map_err(bad)?;
    let out = resize(img, p);
    let (ow, oh) = (out.width(), out.height());
    let mut buf = Cursor::new(Vec::new());
    let out = match format {
        Format::Jpeg => DynamicImage::ImageRgb8(out.to_rgb8()),
        Format::Webp | Format::Png => DynamicImage::ImageRgba8(out.to_rgba8()),
    };
    let fmt = match format {
        Format::Png => ImageFormat::Png,
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Webp => ImageFormat::WebP,
    };
    out.write_to(&mut buf, fmt).map_err(bad)?;
    Ok((buf.into_inner(), ow, oh))
}

fn resize(img: DynamicImage, p: &Params) -> DynamicImage {
    let (sw, sh) = (img.width().max(1), img.height().max(1));
    let scaled = |given: u32, from: u32, to: u32| {
        ((u64::from(given) * u64::from(to) + u64::from(from) / 2) / u64::from(from))
            .clamp(1, u64::from(MAX_SIDE)) as u32
    };
    let filter = FilterType::Triangle;
    match (p.width, p.height) {
        (None, None) => img,
        (Some(w), None) => img.resize_exact(w, scaled(w, sw, sh), filter),
        (None, Some(h)) => img.resize_exact(scaled(h, sh, sw), h, filter),
        (Some(w), Some(h)) => match p.fit {
            Fit::Cover => img.resize_to_fill(w, h, filter),
            Fit::Contain => img.resize(w, h, filter),
            Fit::Fill => img.resize_exact(w, h, filter),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(w, h);
        let mut buf = Cursor::new(Vec::new());
        img.write_to(&mut buf, ImageFormat::Png).unwrap();
        buf.into_inner()
    }

    #[test]
    fn resizes_by_fit() {
        let src = png(400, 200);
        let p = |w, h, fit| Params::new(w, h, Some(fit), None).unwrap();
        let dims = |p: Params| {
            let (_, w, h) = render(&src, &p, Format::Png).unwrap();
            (w, h)
        };
        assert_eq!(dims(p(Some(100), Some(100), "cover")), (100, 100));
        assert_eq!(dims(p(Some(100), Some(100), "contain")), (100, 50));
        assert_eq!(dims(p(Some(100), Some(100), "fill")), (100, 100));
        assert_eq!(dims(p(Some(100), None, "cover")), (100, 50));
        let (bytes, _, _) = render(&src, &p(Some(10), None, "cover"), Format::Webp).unwrap();
        assert_eq!(
            infer::get(&bytes).map(|t| t.mime_type()),
            Some("image/webp")
        );
    }
}
