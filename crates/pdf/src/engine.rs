//! The owner thread: the one thread that calls PDFium, and the handle other
//! threads use to send it requests.
//!
//! Every request is a closure run on the owner thread; its answer comes back
//! over a one-shot channel. The sync methods block the caller until the
//! answer arrives (async callers wrap them in `spawn_blocking`); the
//! `submit_*` methods return a [`Pending`] answer at once, so a caller can
//! queue many renders and cancel the ones the user scrolled past.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use pdfium_render::prelude::*;

use crate::cache::{CacheKey, PageCache};
use crate::compose::{Fonts, PageSpec};
use crate::error::PdfError;
use crate::library::{self, PdfiumInfo};
use crate::render::{self, ImageFormat, RenderRequest, RenderedPage};
use crate::text::{self, PageText};

/// Names an open document on the owner thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocHandle(pub u64);

/// A page's size in PDF points as it is displayed (after its /Rotate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSize {
    pub width: f32,
    pub height: f32,
}

/// What [`PdfEngine::open`] tells about a freshly opened document.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedDocument {
    pub handle: DocHandle,
    pub pages: Vec<PageSize>,
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Byte budget of the rendered-page cache (encoded bytes).
    pub cache_budget_bytes: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cache_budget_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A cancellable claim on queued work. Cancelling a ticket makes every
/// request carrying it that has not started yet answer [`PdfError::Cancelled`];
/// a render already running finishes (PDFium cannot be interrupted safely).
#[derive(Debug, Clone, Default)]
pub struct Ticket(Arc<AtomicBool>);

impl Ticket {
    pub fn new() -> Self {
        Ticket::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// An answer that will arrive from the owner thread.
#[derive(Debug)]
pub struct Pending<T> {
    rx: mpsc::Receiver<Result<T, PdfError>>,
}

impl<T> Pending<T> {
    /// Blocks until the answer arrives.
    pub fn wait(self) -> Result<T, PdfError> {
        // A dropped sender means the owner thread died or the job panicked.
        self.rx.recv().unwrap_or(Err(PdfError::EngineStopped))
    }
}

struct OpenDoc {
    /// The last rendered page, kept loaded: PDFium frees a font (and its
    /// glyph cache) when no loaded page uses it, so without this every page
    /// would parse its fonts again. Declared before `doc` so it drops first.
    warm: Option<PdfPage<'static>>,
    doc: PdfDocument<'static>,
    /// The caller's name for this document version; keys the render cache.
    version_key: String,
}

/// State that lives on the owner thread only.
pub(crate) struct Owner {
    pdfium: &'static Pdfium,
    docs: HashMap<u64, OpenDoc>,
    next_id: u64,
    bitmap: render::BitmapSlot,
}

impl Owner {
    fn doc(&self, h: DocHandle) -> Result<&PdfDocument<'static>, PdfError> {
        self.docs
            .get(&h.0)
            .map(|d| &d.doc)
            .ok_or(PdfError::UnknownDocument(h.0))
    }
}

type Job = Box<dyn FnOnce(&mut Owner) + Send>;

struct Inner {
    tx: mpsc::Sender<Job>,
    cache: Arc<Mutex<PageCache>>,
    info: PdfiumInfo,
}

/// The handle to the PDF owner thread; cheap to clone and share.
///
/// The thread stops when the last handle is dropped. An app needs one engine;
/// several (as in tests) are fine because PDFium calls are serialised
/// process-wide by pdfium-render's `thread_safe` lock.
#[derive(Clone)]
pub struct PdfEngine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PdfEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfEngine")
            .field("pdfium", &self.inner.info)
            .finish()
    }
}

fn page_index(doc: &PdfDocument<'_>, page: u32) -> Result<i32, PdfError> {
    let count = doc.pages().len().max(0) as u32;
    if page >= count {
        return Err(PdfError::PageOutOfRange { page, count });
    }
    i32::try_from(page).map_err(|_| PdfError::PageOutOfRange { page, count })
}

fn rotate_degrees(r: PdfPageRenderRotation) -> u16 {
    match r {
        PdfPageRenderRotation::None => 0,
        PdfPageRenderRotation::Degrees90 => 90,
        PdfPageRenderRotation::Degrees180 => 180,
        PdfPageRenderRotation::Degrees270 => 270,
    }
}

impl PdfEngine {
    /// Loads PDFium (once per process) and starts an owner thread.
    pub fn start(config: EngineConfig) -> Result<PdfEngine, PdfError> {
        let (pdfium, info) = library::pdfium()?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("pdfium-owner".into())
            .spawn(move || {
                let mut owner = Owner {
                    pdfium,
                    docs: HashMap::new(),
                    next_id: 1,
                    bitmap: render::BitmapSlot::default(),
                };
                for job in rx {
                    // A panic in one request must not take down the thread and
                    // every open document with it; its caller sees EngineStopped.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut owner)));
                }
            })
            .map_err(|_| PdfError::EngineStopped)?;
        Ok(PdfEngine {
            inner: Arc::new(Inner {
                tx,
                cache: Arc::new(Mutex::new(PageCache::new(config.cache_budget_bytes))),
                info: info.clone(),
            }),
        })
    }

    /// Which PDFium library the engine runs on.
    pub fn pdfium_info(&self) -> &PdfiumInfo {
        &self.inner.info
    }

    /// Queues `f` on the owner thread.
    pub(crate) fn submit<T, F>(&self, ticket: Option<Ticket>, f: F) -> Pending<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Owner) -> Result<T, PdfError> + Send + 'static,
    {
        let (reply, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |owner| {
            let answer = match ticket {
                Some(t) if t.is_cancelled() => Err(PdfError::Cancelled),
                _ => f(owner),
            };
            let _ = reply.send(answer);
        });
        if let Err(mpsc::SendError(job)) = self.inner.tx.send(job) {
            drop(job);
        }
        Pending { rx }
    }

    /// Opens a document from its plaintext bytes (taken over, not copied).
    /// `version_key` names this document version (e.g. `"<doc id>@<version>"`)
    /// and keys the render cache, so reopening the same version reuses renders.
    pub fn open(&self, bytes: Vec<u8>, version_key: &str) -> Result<OpenedDocument, PdfError> {
        let key = version_key.to_owned();
        self.submit(None, move |owner| {
            if bytes.is_empty() {
                return Err(PdfError::Empty);
            }
            let doc = owner
                .pdfium
                .load_pdf_from_byte_vec(bytes, None)
                .map_err(PdfError::from_load)?;
            let pages = page_sizes(&doc)?;
            if pages.is_empty() {
                return Err(PdfError::NoPages);
            }
            let handle = DocHandle(owner.next_id);
            owner.next_id += 1;
            owner.docs.insert(
                handle.0,
                OpenDoc {
                    warm: None,
                    doc,
                    version_key: key,
                },
            );
            Ok(OpenedDocument { handle, pages })
        })
        .wait()
    }

    /// Closes a document; its cached renders stay until evicted.
    pub fn close(&self, doc: DocHandle) -> Result<(), PdfError> {
        self.submit(None, move |owner| {
            owner
                .docs
                .remove(&doc.0)
                .map(drop)
                .ok_or(PdfError::UnknownDocument(doc.0))
        })
        .wait()
    }

    /// The displayed sizes of all pages.
    pub fn page_sizes(&self, doc: DocHandle) -> Result<Vec<PageSize>, PdfError> {
        self.submit(None, move |owner| page_sizes(owner.doc(doc)?))
            .wait()
    }

    /// A page's /Rotate in degrees clockwise (0, 90, 180, 270): what the UI
    /// needs to map annotation coordinates onto the displayed page.
    pub fn page_rotation(&self, doc: DocHandle, page: u32) -> Result<u16, PdfError> {
        self.submit(None, move |owner| {
            let d = owner.doc(doc)?;
            let p = d
                .pages()
                .get(page_index(d, page)?)
                .map_err(|e| PdfError::pdfium("load page", e))?;
            Ok(p.rotation().map(rotate_degrees).unwrap_or(0))
        })
        .wait()
    }

    /// Renders one page, answering from the cache when it can.
    pub fn render(
        &self,
        doc: DocHandle,
        req: RenderRequest,
    ) -> Result<Arc<RenderedPage>, PdfError> {
        self.submit_render(doc, req, None).wait()
    }

    /// Queues a render; with a ticket it can be cancelled until it starts.
    /// Cache hits are answered at once, without queueing.
    pub fn submit_render(
        &self,
        doc: DocHandle,
        req: RenderRequest,
        ticket: Option<Ticket>,
    ) -> Pending<Arc<RenderedPage>> {
        if let Err(e) = req.validate() {
            let (reply, rx) = mpsc::sync_channel(1);
            let _ = reply.send(Err(e));
            return Pending { rx };
        }
        let cache = Arc::clone(&self.inner.cache);
        self.submit(ticket, move |owner| {
            let open = owner
                .docs
                .get_mut(&doc.0)
                .ok_or(PdfError::UnknownDocument(doc.0))?;
            let key = CacheKey::new(&open.version_key, &req);
            if let Some(hit) = lock(&cache).get(&key) {
                return Ok(hit);
            }
            let index = page_index(&open.doc, req.page)?;
            let page = open
                .doc
                .pages()
                .get(index)
                .map_err(|e| PdfError::pdfium("load page", e))?;
            let rendered = Arc::new(render::render_page(&page, &req, &mut owner.bitmap)?);
            open.warm = Some(page);
            lock(&cache).insert(key, Arc::clone(&rendered));
            Ok(rendered)
        })
    }

    /// A small render of a page for the page strip: `width_px` wide, PNG.
    pub fn thumbnail(
        &self,
        doc: DocHandle,
        page: u32,
        width_px: u32,
    ) -> Result<Arc<RenderedPage>, PdfError> {
        let sizes = self.page_sizes(doc)?;
        let size = sizes.get(page as usize).ok_or(PdfError::PageOutOfRange {
            page,
            count: sizes.len() as u32,
        })?;
        let req = RenderRequest {
            page,
            scale: width_px as f32 / size.width,
            rotation: 0,
            format: ImageFormat::Png,
        };
        self.render(doc, req)
    }

    /// Byte size and entry count of the render cache.
    pub fn cache_usage(&self) -> (usize, usize) {
        let c = lock(&self.inner.cache);
        (c.bytes(), c.len())
    }

    /// The text of one page with the position of each character.
    pub fn page_text(&self, doc: DocHandle, page: u32) -> Result<PageText, PdfError> {
        self.submit(None, move |owner| {
            let d = owner.doc(doc)?;
            let index = page_index(d, page)?;
            text::extract(d, index)
        })
        .wait()
    }

    /// The text of every page of a document, for the search index.
    pub fn document_text(&self, doc: DocHandle) -> Result<Vec<PageText>, PdfError> {
        self.submit(None, move |owner| {
            let d = owner.doc(doc)?;
            (0..d.pages().len()).map(|i| text::extract(d, i)).collect()
        })
        .wait()
    }

    /// Writes a new PDF from page descriptions (demo documents, tests).
    pub fn compose(&self, fonts: Option<Fonts>, pages: Vec<PageSpec>) -> Result<Vec<u8>, PdfError> {
        self.submit(None, move |owner| {
            crate::compose::build(owner.pdfium, fonts.as_ref(), &pages)
        })
        .wait()
    }

    /// Returns `pdf` with `annotations` added as real PDF annotation objects
    /// (Ink, Highlight, Underline, Text, FreeText). A pure function of its
    /// inputs: nothing is stored, the input bytes are not kept.
    pub fn export_with_annotations(
        &self,
        pdf: Vec<u8>,
        annotations: &[crate::annotations::Annotation],
    ) -> Result<Vec<u8>, PdfError> {
        let annotations = annotations.to_vec();
        self.submit(None, move |owner| {
            crate::annotations::export(owner.pdfium, pdf, &annotations)
        })
        .wait()
    }

    /// Lists the annotations PDFium finds in a PDF (to check exports).
    pub fn read_annotations(
        &self,
        pdf: Vec<u8>,
    ) -> Result<Vec<crate::annotations::FoundAnnotation>, PdfError> {
        self.submit(None, move |owner| {
            crate::annotations::read(owner.pdfium, pdf)
        })
        .wait()
    }
}

fn lock(cache: &Mutex<PageCache>) -> std::sync::MutexGuard<'_, PageCache> {
    // The cache holds no invariant a panic could break halfway; keep using it.
    cache.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sizes without loading the pages: loading one parses its content, which
/// for a 500-page document would cost seconds before the first render.
fn page_sizes(doc: &PdfDocument<'_>) -> Result<Vec<PageSize>, PdfError> {
    let pages = doc.pages();
    (0..pages.len())
        .map(|i| {
            let r = pages
                .page_size(i)
                .map_err(|e| PdfError::pdfium("read page size", e))?;
            Ok(PageSize {
                width: r.width().value,
                height: r.height().value,
            })
        })
        .collect()
}
