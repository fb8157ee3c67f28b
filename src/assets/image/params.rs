//! What a variant is asked for: size, fit and format, from a script's
//! options or a query string.

use super::MAX_SIDE;
use crate::assets::AssetError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Fill the box, cropping what sticks out (centered).
    Cover,
    /// Fit inside the box, keeping the aspect ratio.
    Contain,
    /// Stretch to the box exactly.
    Fill,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
    Webp,
}

impl Format {
    fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "png" => Some(Format::Png),
            "jpeg" | "jpg" => Some(Format::Jpeg),
            "webp" => Some(Format::Webp),
            _ => None,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::Webp => "webp",
        }
    }

    pub(super) fn content_type(self) -> &'static str {
        match self {
            Format::Png => "image/png",
            Format::Jpeg => "image/jpeg",
            Format::Webp => "image/webp",
        }
    }
}

/// What a variant is asked for with: `?w=200&h=100&fit=cover&format=webp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    /// None: the source's format when it is PNG, JPEG or WebP, else PNG.
    pub format: Option<Format>,
}

impl Params {
    /// Checks values given by a script or a query string.
    pub fn new(
        width: Option<u32>,
        height: Option<u32>,
        fit: Option<&str>,
        format: Option<&str>,
    ) -> Result<Params, AssetError> {
        let bad = |m: String| Err(AssetError::Invalid(m));
        for (name, v) in [("width", width), ("height", height)] {
            if v.is_some_and(|v| v == 0 || v > MAX_SIDE) {
                return bad(format!("image {name} must be 1 to {MAX_SIDE} pixels"));
            }
        }
        let fit = match fit.map(str::to_ascii_lowercase).as_deref() {
            None | Some("cover") => Fit::Cover,
            Some("contain") => Fit::Contain,
            Some("fill") => Fit::Fill,
            Some(other) => {
                return bad(format!(
                    "image fit {other:?} is not one of cover, contain, fill"
                ))
            }
        };
        let format = match format {
            None => None,
            Some(f) => match Format::parse(f) {
                Some(f) => Some(f),
                None => return bad(format!("image format {f:?} is not one of png, jpeg, webp")),
            },
        };
        Ok(Params {
            width,
            height,
            fit,
            format,
        })
    }

    /// From a query string; None when it asks for no variant (no `w`,
    /// `h` or `format`), so `?v=3` cache busters serve the original.
    pub fn from_query(query: &str) -> Result<Option<Params>, AssetError> {
        let (mut w, mut h, mut fit, mut fmt) = (None, None, None, None);
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let num = |v: &str| {
                v.parse::<u32>().map_err(|_| {
                    AssetError::Invalid(format!("image {k}={v:?} is not a whole number of pixels"))
                })
            };
            match &*k {
                "w" | "width" => w = Some(num(&v)?),
                "h" | "height" => h = Some(num(&v)?),
                "fit" => fit = Some(v.into_owned()),
                "format" => fmt = Some(v.into_owned()),
                _ => {}
            }
        }
        if w.is_none() && h.is_none() && fmt.is_none() {
            return Ok(None);
        }
        Params::new(w, h, fit.as_deref(), fmt.as_deref()).map(Some)
    }

    pub(super) fn resolved(&self, source_type: &str) -> Format {
        self.format
            .unwrap_or(match crate::assets::kind::essence(source_type).as_str() {
                "image/jpeg" => Format::Jpeg,
                "image/webp" => Format::Webp,
                _ => Format::Png,
            })
    }

    /// The query string that asks for this variant of a source.
    pub fn query(&self, source_type: &str) -> String {
        let mut q = Vec::new();
        if let Some(w) = self.width {
            q.push(format!("w={w}"));
        }
        if let Some(h) = self.height {
            q.push(format!("h={h}"));
        }
        let fit = match self.fit {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
            Fit::Fill => "fill",
        };
        q.push(format!("fit={fit}"));
        q.push(format!("format={}", self.resolved(source_type).name()));
        q.join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params() {
        assert_eq!(Params::from_query("v=3").unwrap(), None);
        let p = Params::from_query("w=200&h=100&fit=cover&format=webp")
            .unwrap()
            .unwrap();
        assert_eq!(p.query("image/png"), "w=200&h=100&fit=cover&format=webp");
        assert!(Params::from_query("w=0").is_err());
        assert!(Params::from_query("w=10&fit=zoom").is_err());
        assert!(Params::from_query("format=tiff").is_err());
    }
}
