//! The owner thread: the one thread that calls PDFium, and the handle other
//! threads use to send it requests.
//!
//! Every request is a closure run on the owner thread; its answer comes back
//! over a one-shot channel. The sync methods block the caller until the
//! answer arrives (async callers wrap them in `spawn_blocking`); the
//! `submit_*` methods return a [`Pending`] answer at once, so a caller can
//! queue many renders and cancel the ones the user scrolled past.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// How many bytes of a document PDFium may pull in before the engine
    /// reopens it. PDFium keeps every object it has parsed — including the
    /// raw data of every image stream it has drawn — until the document is
    /// closed, so scrolling a 250 MB scanned document end to end would end
    /// up holding all of it; reopening (tens of ms, between two renders)
    /// lets go of it. 0 never reopens.
    pub reopen_after_bytes: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cache_budget_bytes: 64 * 1024 * 1024,
            reopen_after_bytes: 32 * 1024 * 1024,
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

/// The first read error of a reader-backed document. Once set it stays set:
/// PDFium turns a failed read into a silently missing object (a blank image,
/// a page without text), so after one failure nothing more from that
/// document is trusted and every request on it answers the error.
#[derive(Clone, Default)]
struct SourceFault(Arc<Mutex<Option<Arc<std::io::Error>>>>);

impl SourceFault {
    fn record(&self, e: std::io::Error) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(Arc::new(e));
        }
    }

    fn check(&self) -> Result<(), PdfError> {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some(e) => Err(PdfError::SourceRead(Arc::clone(e))),
            None => Ok(()),
        }
    }
}

pub(crate) trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// A document's bytes, shared between the successive PDFium documents made
/// from them when the engine reopens a document.
type SharedSource = Arc<Mutex<Box<dyn ReadSeek>>>;

/// What PDFium reads a document through. PDFium's file access takes one
/// `read` as the whole answer to a block request, so this fills the block
/// completely (or up to the end); it remembers the first error and counts
/// the bytes read since the document was (re)opened. A clone reads the
/// same bytes and shares the error (OCR opens one document per page from it).
#[derive(Clone)]
pub(crate) struct Source {
    inner: SharedSource,
    fault: SourceFault,
    pulled: Arc<AtomicU64>,
}

impl Source {
    /// A source over `reader`, with no error yet.
    pub(crate) fn new(reader: Box<dyn ReadSeek>) -> Source {
        Source {
            inner: Arc::new(Mutex::new(reader)),
            fault: SourceFault::default(),
            pulled: Arc::default(),
        }
    }

    /// The first read error, if any.
    pub(crate) fn check(&self) -> Result<(), PdfError> {
        self.fault.check()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn ReadSeek>> {
        // A reader that panicked mid-read has no invariant we rely on: the
        // next call seeks before it reads.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut done = 0;
        let mut inner = self.lock();
        while done < buf.len() {
            match inner.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let kind = e.kind();
                    self.fault.record(e);
                    return Err(std::io::Error::new(kind, "document source failed"));
                }
            }
        }
        self.pulled.fetch_add(done as u64, Ordering::Relaxed);
        Ok(done)
    }
}

impl Seek for Source {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let at = self.lock().seek(to);
        at.inspect_err(|e| {
            self.fault
                .record(std::io::Error::new(e.kind(), e.to_string()));
        })
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
    source: SharedSource,
    fault: SourceFault,
    /// Bytes PDFium has read since this document was (re)opened.
    pulled: Arc<AtomicU64>,
}

impl OpenDoc {
    fn check(&self) -> Result<(), PdfError> {
        self.fault.check()
    }

    /// Reopens the document when PDFium has pulled in more than `limit`
    /// bytes of it (see [`EngineConfig::reopen_after_bytes`]).
    fn reopen_if_heavy(&mut self, pdfium: &'static Pdfium, limit: u64) -> Result<(), PdfError> {
        if limit == 0 || self.pulled.load(Ordering::Relaxed) <= limit {
            return Ok(());
        }
        let pulled = Arc::new(AtomicU64::new(0));
        let source = Source {
            inner: Arc::clone(&self.source),
            fault: self.fault.clone(),
            pulled: Arc::clone(&pulled),
        };
        let loaded = pdfium.load_pdf_from_reader(source, None);
        self.check()?;
        let doc = loaded.map_err(PdfError::from_load)?;
        // The warm page borrows the old document: it goes first.
        self.warm = None;
        self.doc = doc;
        self.pulled = pulled;
        Ok(())
    }
}

/// State that lives on the owner thread only.
pub(crate) struct Owner {
    pdfium: &'static Pdfium,
    docs: HashMap<u64, OpenDoc>,
    next_id: u64,
    bitmap: render::BitmapSlot,
    reopen_after: u64,
}

impl Owner {
    fn open_doc(&self, h: DocHandle) -> Result<&OpenDoc, PdfError> {
        self.docs.get(&h.0).ok_or(PdfError::UnknownDocument(h.0))
    }

    /// Runs `f` on an open document; a read error of its source, before or
    /// during `f`, wins over whatever `f` answered.
    fn with_doc<T>(
        &self,
        h: DocHandle,
        f: impl FnOnce(&PdfDocument<'static>) -> Result<T, PdfError>,
    ) -> Result<T, PdfError> {
        let open = self.open_doc(h)?;
        open.check()?;
        let out = f(&open.doc);
        open.check()?;
        out
    }

    /// Opens a document from `source`; every document goes this way, so
    /// that any of them can be reopened (see [`OpenDoc::reopen_if_heavy`]).
    fn load(&mut self, source: Box<dyn ReadSeek>, key: String) -> Result<OpenedDocument, PdfError> {
        let fault = SourceFault::default();
        let pulled = Arc::new(AtomicU64::new(0));
        let shared: SharedSource = Arc::new(Mutex::new(source));
        let mut source = Source {
            inner: Arc::clone(&shared),
            fault: fault.clone(),
            pulled: Arc::clone(&pulled),
        };
        let len = source.seek(SeekFrom::End(0));
        fault.check()?;
        if len.ok() == Some(0) {
            return Err(PdfError::Empty);
        }
        let loaded = self.pdfium.load_pdf_from_reader(source, None);
        fault.check()?;
        let doc = loaded.map_err(PdfError::from_load)?;
        let pages = page_sizes(&doc);
        fault.check()?;
        let pages = pages?;
        if pages.is_empty() {
            return Err(PdfError::NoPages);
        }
        let handle = DocHandle(self.next_id);
        self.next_id += 1;
        self.docs.insert(
            handle.0,
            OpenDoc {
                warm: None,
                doc,
                version_key: key,
                source: shared,
                fault,
                pulled,
            },
        );
        Ok(OpenedDocument { handle, pages })
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
        let reopen_after = config.reopen_after_bytes;
        std::thread::Builder::new()
            .name("pdfium-owner".into())
            .spawn(move || {
                let mut owner = Owner {
                    pdfium,
                    docs: HashMap::new(),
                    next_id: 1,
                    bitmap: render::BitmapSlot::default(),
                    reopen_after,
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
    /// Prefer [`PdfEngine::open_reader`] over the store's blob reader for
    /// stored documents: the whole plaintext then never sits in memory.
    /// `version_key` names this document version (e.g. `"<doc id>@<version>"`)
    /// and keys the render cache, so reopening the same version reuses renders.
    pub fn open(&self, bytes: Vec<u8>, version_key: &str) -> Result<OpenedDocument, PdfError> {
        let key = version_key.to_owned();
        self.submit(None, move |owner| {
            owner.load(Box::new(std::io::Cursor::new(bytes)), key)
        })
        .wait()
    }

    /// Opens a document that PDFium reads on demand from `source` (e.g. the
    /// store's decrypting blob reader), so the document never has to be whole
    /// in memory. `source` lives as long as the document stays open.
    ///
    /// A read error of `source` — while opening or in any later request on
    /// this document — answers [`PdfError::SourceRead`] carrying the
    /// source's own error, and from then on every request on the document
    /// does; close it and fetch the bytes again.
    pub fn open_reader<R>(&self, source: R, version_key: &str) -> Result<OpenedDocument, PdfError>
    where
        R: Read + Seek + Send + 'static,
    {
        let key = version_key.to_owned();
        self.submit(None, move |owner| owner.load(Box::new(source), key))
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
        self.submit(None, move |owner| owner.with_doc(doc, page_sizes))
            .wait()
    }

    /// A page's /Rotate in degrees clockwise (0, 90, 180, 270): what the UI
    /// needs to map annotation coordinates onto the displayed page.
    pub fn page_rotation(&self, doc: DocHandle, page: u32) -> Result<u16, PdfError> {
        self.submit(None, move |owner| {
            owner.with_doc(doc, |d| {
                let p = d
                    .pages()
                    .get(page_index(d, page)?)
                    .map_err(|e| PdfError::pdfium("load page", e))?;
                Ok(p.rotation().map(rotate_degrees).unwrap_or(0))
            })
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
            open.check()?;
            let key = CacheKey::new(&open.version_key, &req);
            if let Some(hit) = lock(&cache).get(&key) {
                return Ok(hit);
            }
            let index = page_index(&open.doc, req.page)?;
            open.reopen_if_heavy(owner.pdfium, owner.reopen_after)?;
            let page = open
                .doc
                .pages()
                .get(index)
                .map_err(|e| PdfError::pdfium("load page", e));
            open.check()?;
            let page = page?;
            let rendered = render::render_page(&page, &req, &mut owner.bitmap);
            // A failed read renders as missing content, not as an error:
            // such a page must neither be shown nor cached.
            open.check()?;
            let rendered = Arc::new(rendered?);
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
        let req = self.thumbnail_request(doc, page, width_px)?;
        self.render(doc, req)
    }

    /// The PNG render of `page` scaled to `width_px` wide.
    fn thumbnail_request(
        &self,
        doc: DocHandle,
        page: u32,
        width_px: u32,
    ) -> Result<RenderRequest, PdfError> {
        let sizes = self.page_sizes(doc)?;
        let size = sizes.get(page as usize).ok_or(PdfError::PageOutOfRange {
            page,
            count: sizes.len() as u32,
        })?;
        Ok(RenderRequest {
            page,
            scale: width_px as f32 / size.width,
            rotation: 0,
            format: ImageFormat::Png,
        })
    }

    /// [`PdfEngine::render`] with `watermark` written into the pixels. The
    /// cache keeps the clean page; the mark is added to every answer.
    pub fn render_watermarked(
        &self,
        doc: DocHandle,
        req: RenderRequest,
        watermark: &crate::watermark::Watermark,
    ) -> Result<RenderedPage, PdfError> {
        let clean = self.render(
            doc,
            RenderRequest {
                format: ImageFormat::Rgba,
                ..req
            },
        )?;
        let mut rgba = clean.bytes.clone();
        watermark.stamp_rgba(&mut rgba, clean.width, clean.height);
        Ok(RenderedPage {
            width: clean.width,
            height: clean.height,
            format: req.format,
            bytes: render::encode(clean.width, clean.height, rgba, req.format)?,
        })
    }

    /// [`PdfEngine::thumbnail`] with `watermark` written into the pixels.
    pub fn thumbnail_watermarked(
        &self,
        doc: DocHandle,
        page: u32,
        width_px: u32,
        watermark: &crate::watermark::Watermark,
    ) -> Result<RenderedPage, PdfError> {
        let req = self.thumbnail_request(doc, page, width_px)?;
        self.render_watermarked(doc, req, watermark)
    }

    /// Byte size and entry count of the render cache.
    pub fn cache_usage(&self) -> (usize, usize) {
        let c = lock(&self.inner.cache);
        (c.bytes(), c.len())
    }

    /// The text of one page with the position of each character.
    pub fn page_text(&self, doc: DocHandle, page: u32) -> Result<PageText, PdfError> {
        self.submit(None, move |owner| {
            owner.with_doc(doc, |d| text::extract(d, page_index(d, page)?))
        })
        .wait()
    }

    /// Every page's text of a document read from `source`, which is opened
    /// only for this and closed again: for search indexes over documents
    /// that are not on screen.
    pub fn text_of<R>(&self, source: R, version_key: &str) -> Result<Vec<PageText>, PdfError>
    where
        R: Read + Seek + Send + 'static,
    {
        let doc = self.open_reader(source, version_key)?;
        let text = self.document_text(doc.handle);
        let closed = self.close(doc.handle);
        let text = text?;
        closed?;
        Ok(text)
    }

    /// The text of every page of a document, for the search index.
    pub fn document_text(&self, doc: DocHandle) -> Result<Vec<PageText>, PdfError> {
        self.submit(None, move |owner| {
            owner.with_doc(doc, |d| {
                (0..d.pages().len()).map(|i| text::extract(d, i)).collect()
            })
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
    ///
    /// With `watermark`, every page also carries it in its content (the
    /// reader's copy of a document whose policy asks for it).
    pub fn export_with_annotations(
        &self,
        pdf: Vec<u8>,
        annotations: &[crate::annotations::Annotation],
        watermark: Option<&crate::watermark::Watermark>,
    ) -> Result<Vec<u8>, PdfError> {
        let annotations = annotations.to_vec();
        let watermark = watermark.cloned();
        self.submit(None, move |owner| {
            crate::annotations::export(owner.pdfium, pdf, &annotations, watermark.as_ref())
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
