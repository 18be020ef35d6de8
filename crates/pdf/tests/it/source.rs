//! Documents read on demand through a reader: the store's decrypting blob
//! reader (the app's path) and readers that fail or end early.

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use ecabinet_pdf::compose::{Item, PageSpec};
use ecabinet_pdf::{EngineConfig, ImageFormat, PdfEngine, PdfError, RenderRequest};
use ecabinet_store::{testing, Store, StoreError, CHUNK_SIZE};
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;

use crate::engine;

const PIN: &str = "246813";

/// A noisy photo-like JPEG, so that each page's image stream spans several
/// 64 KiB blob chunks.
fn noisy_jpeg(seed: u32) -> Vec<u8> {
    let (w, h) = (500u32, 700u32);
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    let px: Vec<u8> = (0..w * h * 3)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 85)
        .encode(&px, w, h, ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// Six image pages, a few MB: many blob chunks.
fn image_pdf() -> Vec<u8> {
    let pages = (0..6)
        .map(|i| {
            let mut p = PageSpec::a4();
            p.items.push(Item::Jpeg {
                x: 50.0,
                y: 50.0,
                w: 495.0,
                h: 742.0,
                jpeg: noisy_jpeg(i + 1),
            });
            p
        })
        .collect();
    engine().compose(None, pages).unwrap()
}

fn store_with(dir: &Path, content: &[u8]) -> (Store, String) {
    let store = Store::create(dir, PIN, &testing::test_config()).unwrap();
    let sha = testing::sha256_hex(content);
    let mut w = store.blob_writer(&sha, content.len() as u64).unwrap();
    w.append(content).unwrap();
    w.finish().unwrap();
    (store, sha)
}

fn rgba(page: u32) -> RenderRequest {
    RenderRequest::at_dpi(page, 50.0, ImageFormat::Rgba)
}

fn blob_corrupt_chunk(e: &PdfError) -> Option<u64> {
    let PdfError::SourceRead(io) = e else {
        return None;
    };
    match io.get_ref()?.downcast_ref::<StoreError>()? {
        StoreError::BlobCorrupt { chunk, .. } => Some(*chunk),
        _ => None,
    }
}

#[test]
fn a_document_read_from_the_encrypted_store_renders_like_the_same_bytes_in_memory() {
    let pdf = image_pdf();
    assert!(pdf.len() > 10 * CHUNK_SIZE, "{} bytes", pdf.len());
    let dir = tempfile::tempdir().unwrap();
    let (store, sha) = store_with(dir.path(), &pdf);

    let from_store = engine()
        .open_reader(store.blob_reader(&sha).unwrap(), "store@1")
        .unwrap();
    let in_memory = engine().open(pdf, "memory@1").unwrap();
    assert_eq!(from_store.pages, in_memory.pages);
    // Out of order, as a reader scrolls back and forth.
    for p in [5, 0, 3, 1, 4, 2] {
        let a = engine().render(from_store.handle, rgba(p)).unwrap();
        let b = engine().render(in_memory.handle, rgba(p)).unwrap();
        assert_eq!((a.width, a.height), (b.width, b.height));
        assert!(a.bytes == b.bytes, "page {p} differs");
    }
    engine().close(from_store.handle).unwrap();
    engine().close(in_memory.handle).unwrap();
}

#[test]
fn a_document_reopened_to_release_memory_renders_and_reads_the_same() {
    // Reopen before every render (anything read counts as over the limit),
    // with no render cache, so each render comes from a fresh document.
    let reopening = PdfEngine::start(EngineConfig {
        cache_budget_bytes: 0,
        reopen_after_bytes: 1,
    })
    .unwrap();
    let pdf = image_pdf();
    let dir = tempfile::tempdir().unwrap();
    let (store, sha) = store_with(dir.path(), &pdf);
    let doc = reopening
        .open_reader(store.blob_reader(&sha).unwrap(), "reopen@1")
        .unwrap();
    let reference = engine().open(pdf, "reopen-ref@1").unwrap();
    for p in [2, 2, 0, 5, 1, 5] {
        let a = reopening.render(doc.handle, rgba(p)).unwrap();
        let b = engine().render(reference.handle, rgba(p)).unwrap();
        assert!(a.bytes == b.bytes, "page {p} differs after reopening");
        assert_eq!(
            reopening.page_rotation(doc.handle, p).unwrap(),
            engine().page_rotation(reference.handle, p).unwrap()
        );
    }
    reopening.close(doc.handle).unwrap();
    engine().close(reference.handle).unwrap();
}

#[test]
fn a_tampered_blob_chunk_fails_the_page_that_needs_it_and_poisons_only_that_document() {
    let pdf = image_pdf();
    // A chunk that lies wholly inside page 4's image stream (DCTDecode keeps
    // the JPEG bytes as they are).
    let jpeg = noisy_jpeg(4);
    let at = pdf
        .windows(64)
        .position(|w| w == &jpeg[1000..1064])
        .expect("page 4's JPEG is in the file")
        - 1000;
    let chunk = (at / CHUNK_SIZE + 1) as u64;
    assert!((chunk + 1) * (CHUNK_SIZE as u64) < (at + jpeg.len()) as u64);

    let dir = tempfile::tempdir().unwrap();
    let (store, sha) = store_with(dir.path(), &pdf);
    let path = dir.path().join(ecabinet_store::BLOB_DIR).join(&sha);
    let mut file = std::fs::read(&path).unwrap();
    // 36-byte blob header, then records of a chunk and its 16-byte tag.
    file[36 + chunk as usize * (CHUNK_SIZE + 16) + 100] ^= 0x20;
    std::fs::write(&path, file).unwrap();

    let doc = engine()
        .open_reader(store.blob_reader(&sha).unwrap(), "tampered@1")
        .unwrap();
    for p in 0..3 {
        engine().render(doc.handle, rgba(p)).unwrap();
    }
    let err = engine().render(doc.handle, rgba(3)).unwrap_err();
    assert_eq!(blob_corrupt_chunk(&err), Some(chunk), "{err:?}");
    // From now on nothing of this document is trusted, not even pages that
    // rendered before or whose bytes are intact.
    for p in [0, 4, 5] {
        let err = engine().render(doc.handle, rgba(p)).unwrap_err();
        assert_eq!(blob_corrupt_chunk(&err), Some(chunk), "page {p}: {err:?}");
    }
    let err = engine().page_text(doc.handle, 1).unwrap_err();
    assert_eq!(blob_corrupt_chunk(&err), Some(chunk), "{err:?}");
    engine().close(doc.handle).unwrap();

    // Other documents are untouched.
    let other = engine().open(pdf, "other@1").unwrap();
    engine().render(other.handle, rgba(3)).unwrap();
    engine().close(other.handle).unwrap();
}

#[test]
fn a_blob_cut_short_is_refused_before_pdfium_sees_it() {
    let pdf = image_pdf();
    let dir = tempfile::tempdir().unwrap();
    let (store, sha) = store_with(dir.path(), &pdf);
    let path = dir.path().join(ecabinet_store::BLOB_DIR).join(&sha);
    let file = std::fs::read(&path).unwrap();
    std::fs::write(&path, &file[..file.len() - 100]).unwrap();
    let err = store.blob_reader(&sha).unwrap_err();
    assert!(matches!(err, StoreError::BlobCorrupt { .. }), "{err:?}");
}

/// A reader over bytes that fails every read past `fail_from`.
struct FailingReader {
    inner: Cursor<Vec<u8>>,
    fail_from: u64,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.inner.position() + buf.len() as u64 > self.fail_from {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "disk went away",
            ));
        }
        self.inner.read(buf)
    }
}

impl Seek for FailingReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(to)
    }
}

#[test]
fn a_reader_that_fails_gives_its_own_error_at_open_or_render_never_a_crash() {
    let pdf = image_pdf();
    let len = pdf.len() as u64;
    for fail_from in [0, 100, len / 3, len / 2, len - 50] {
        let reader = FailingReader {
            inner: Cursor::new(pdf.clone()),
            fail_from,
        };
        let outcome = engine()
            .open_reader(reader, &format!("failing-{fail_from}"))
            .and_then(|doc| {
                let renders: Result<Vec<_>, _> = (0..doc.pages.len() as u32)
                    .map(|p| engine().render(doc.handle, rgba(p)))
                    .collect();
                engine().close(doc.handle)?;
                renders
            });
        match outcome {
            Err(PdfError::SourceRead(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e:?}");
                assert_eq!(e.to_string(), "disk went away");
            }
            other => panic!(
                "failing from {fail_from}: expected SourceRead, got {:?}",
                other.map(|v| v.len())
            ),
        }
    }
}

#[test]
fn empty_and_truncated_readers_give_typed_errors() {
    assert!(matches!(
        engine().open_reader(Cursor::new(Vec::new()), "empty-reader"),
        Err(PdfError::Empty)
    ));
    assert!(matches!(
        engine().open_reader(Cursor::new(b"%PDF-1.7\n".to_vec()), "hdr-reader"),
        Err(PdfError::Malformed)
    ));
    let pdf = image_pdf();
    for keep in [pdf.len() / 10, pdf.len() / 2, pdf.len() - 40] {
        match engine().open_reader(Cursor::new(pdf[..keep].to_vec()), "cut-reader") {
            // PDFium may repair a cut by rebuilding the xref table; then every
            // page it reports renders (perhaps partly blank) or fails typed.
            Ok(doc) => {
                for p in 0..doc.pages.len() as u32 {
                    if let Err(e) = engine().render(doc.handle, rgba(p)) {
                        assert!(matches!(e, PdfError::Pdfium { .. }), "{e:?}");
                    }
                }
                engine().close(doc.handle).unwrap();
            }
            Err(e) => assert!(
                matches!(e, PdfError::Malformed | PdfError::NoPages),
                "cut at {keep}: {e:?}"
            ),
        }
    }
}
