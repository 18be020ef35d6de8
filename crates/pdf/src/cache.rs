//! The rendered-page cache: least recently used out first, under a byte budget.

use std::collections::HashMap;
use std::sync::Arc;

use crate::render::{ImageFormat, RenderRequest, RenderedPage};

/// (document version, page, scale, rotation, format). The scale is kept in
/// thousandths so that equal zooms compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    version: String,
    page: u32,
    scale_milli: u32,
    rotation: u16,
    format: ImageFormat,
}

impl CacheKey {
    pub(crate) fn new(version: &str, req: &RenderRequest) -> Self {
        CacheKey {
            version: version.to_owned(),
            page: req.page,
            scale_milli: (req.scale * 1000.0).round() as u32,
            rotation: req.rotation,
            format: req.format,
        }
    }
}

pub(crate) struct PageCache {
    budget: usize,
    bytes: usize,
    tick: u64,
    entries: HashMap<CacheKey, (u64, Arc<RenderedPage>)>,
}

impl PageCache {
    pub(crate) fn new(budget: usize) -> Self {
        PageCache {
            budget,
            bytes: 0,
            tick: 0,
            entries: HashMap::new(),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&mut self, key: &CacheKey) -> Option<Arc<RenderedPage>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(used, page)| {
            *used = tick;
            Arc::clone(page)
        })
    }

    /// Stores a page, evicting the least recently used until it fits. A page
    /// bigger than the whole budget is not kept.
    pub(crate) fn insert(&mut self, key: CacheKey, page: Arc<RenderedPage>) {
        let size = page.bytes.len();
        if size > self.budget {
            return;
        }
        self.tick += 1;
        if let Some((_, old)) = self.entries.insert(key, (self.tick, page)) {
            self.bytes -= old.bytes.len();
        }
        self.bytes += size;
        while self.bytes > self.budget {
            // A linear scan: the cache holds tens to hundreds of pages.
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((_, gone)) = self.entries.remove(&oldest) {
                self.bytes -= gone.bytes.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize) -> Arc<RenderedPage> {
        Arc::new(RenderedPage {
            width: 1,
            height: 1,
            format: ImageFormat::Rgba,
            bytes: vec![0; n],
        })
    }

    fn key(page: u32) -> CacheKey {
        CacheKey::new(
            "doc@1",
            &RenderRequest::at_dpi(page, 72.0, ImageFormat::Rgba),
        )
    }

    #[test]
    fn evicts_the_least_recently_used_page_when_over_budget() {
        let mut c = PageCache::new(300);
        c.insert(key(0), page(100));
        c.insert(key(1), page(100));
        c.insert(key(2), page(100));
        assert!(
            c.get(&key(0)).is_some(),
            "touch page 0 so page 1 is the oldest"
        );
        c.insert(key(3), page(100));
        assert!(c.get(&key(1)).is_none());
        assert!(c.get(&key(0)).is_some() && c.get(&key(2)).is_some() && c.get(&key(3)).is_some());
        assert_eq!(c.bytes(), 300);
    }

    #[test]
    fn a_page_larger_than_the_budget_is_not_kept() {
        let mut c = PageCache::new(50);
        c.insert(key(0), page(51));
        assert_eq!((c.len(), c.bytes()), (0, 0));
    }

    #[test]
    fn versions_and_zooms_are_distinct_entries() {
        let a = CacheKey::new("doc@1", &RenderRequest::at_dpi(0, 72.0, ImageFormat::Png));
        let b = CacheKey::new("doc@2", &RenderRequest::at_dpi(0, 72.0, ImageFormat::Png));
        let c = CacheKey::new("doc@1", &RenderRequest::at_dpi(0, 150.0, ImageFormat::Png));
        assert!(a != b && a != c);
    }
}
