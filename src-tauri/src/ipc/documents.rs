//! IPC types of one feature: an opened document: its pages, their text, annotations and export.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A page's displayed size in PDF points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS)]
pub struct PageSizeView {
    pub width: f32,
    pub height: f32,
}

/// An opened document version: its pages are served by the `ecabinet:` scheme.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpenedDocumentView {
    pub version_id: String,
    pub pages: Vec<PageSizeView>,
    /// Most pixels (width × height) a page is rendered at; the viewer says a
    /// page over it at the current zoom is too large instead of asking for it.
    #[ts(type = "number")]
    pub max_render_pixels: u64,
    /// The watermark every page image of this document carries (the
    /// reader's name and unit, then the time), one line each; `None` when
    /// the document has none.
    pub watermark: Option<Vec<String>>,
    /// Whether a copy may leave the app: `allowed`, `watermarked` or
    /// `forbidden` (always `forbidden` for a classified document).
    pub export: String,
    /// `normal`, `confidential`, `secret` or `top_secret`: a classified
    /// document was read from the server into memory and is not on the device.
    pub classification: String,
}

/// A point of an ink stroke in PDF page coordinates; `pressure` (0..=1) when
/// a pen reported it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct InkPointView {
    pub x: f32,
    pub y: f32,
    pub pressure: Option<f32>,
}

/// What an annotation is, with its geometry in PDF page coordinates (points,
/// origin bottom-left of the unrotated page; rectangles are
/// `[left, bottom, right, top]`), so it survives zoom and rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum AnnotationShape {
    /// Pen strokes; `width` is the line width in points.
    Ink {
        strokes: Vec<Vec<InkPointView>>,
        width: f32,
    },
    /// One rectangle per highlighted text line.
    Highlight { rects: Vec<[f32; 4]> },
    /// One rectangle per underlined text line.
    Underline { rects: Vec<[f32; 4]> },
    /// A sticky note whose icon's top-left corner is at (`x`, `y`).
    Note { x: f32, y: f32, text: String },
    /// Text written on the page inside `rect`.
    Text { rect: [f32; 4], text: String },
}

/// One of my annotations on a document version.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationView {
    pub id: String,
    /// 0-based page.
    pub page: u32,
    /// RGBA, alpha 255 = opaque.
    pub color: [u8; 4],
    pub shape: AnnotationShape,
    /// The annotation clock's stamp of the last edit.
    pub updated_at: String,
}

/// A new annotation (`id` null) or a new state of an existing one (an edit,
/// or undoing its deletion).
#[derive(Debug, Clone, PartialEq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationInput {
    pub id: Option<String>,
    pub page: u32,
    pub color: [u8; 4],
    pub shape: AnnotationShape,
}

/// One line of page text, for snapping highlights to it: the line's
/// rectangle and each character's `[left, right]` (PDF page coordinates).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct TextLineView {
    pub rect: [f32; 4],
    pub chars: Vec<[f32; 2]>,
}

/// A page's /Rotate (degrees clockwise) and its text lines.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PageTextView {
    pub page: u32,
    pub rotation: u16,
    pub lines: Vec<TextLineView>,
}

/// Where "export with my annotations" wrote the PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    pub path: String,
    /// Annotations written into it.
    pub annotations: u32,
}

/// The signatures embedded in a document version (PAdES), checked on this
/// device against the roots the deployment trusts.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignaturesView {
    /// `unsigned`, `valid` (every signature intact, trusted and valid),
    /// `warning` (intact, but untrusted, expired, not checkable, or changed
    /// afterwards without a signature) or `broken` (a signature does not
    /// match the document, or its certificate was revoked).
    pub verdict: String,
    pub signatures: Vec<SignatureView>,
    /// Whether the deployment trusts any root yet (none: every signature
    /// shows as untrusted, and the viewer says why).
    pub roots_known: bool,
}

/// One embedded signature.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignatureView {
    /// Name and organisation from the signer's certificate.
    pub signer: Option<String>,
    pub organisation: Option<String>,
    /// Who issued the certificate.
    pub issuer: Option<String>,
    /// When the signer says it signed, unix ms.
    #[ts(type = "number | null")]
    pub signed_at: Option<i64>,
    /// `intact`, `modified`, `broken` or `unverifiable`.
    pub integrity: String,
    /// Changed after this signature, with no later signature covering it.
    pub unsigned_changes_after: bool,
    /// It covers the whole file (else an earlier revision).
    pub covers_whole_file: bool,
    /// `trusted` or `untrusted`.
    pub trust: String,
    /// `valid`, `expired` or `not_yet_valid`.
    pub validity: String,
    /// End of the certificate's validity, unix ms.
    #[ts(type = "number | null")]
    pub not_after: Option<i64>,
    /// `good` (a current revocation list of the signer's CA does not name
    /// it), `revoked`, or `unknown` (no current list on this device).
    pub revocation: String,
    /// What is wrong, in English (shown as detail under the translated verdict).
    pub problem: Option<String>,
}

/// A version signed with the token and uploaded: the document's new
/// version number and what the server found of its signatures.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignedVersionView {
    pub document_id: String,
    pub version: u32,
    pub upload_signature_check: Option<crate::ipc::UploadSignatureCheckView>,
}

/// Who fetched a classified document from the server (the register an
/// isolated deployment keeps), newest first.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccessRegisterIpcView {
    pub entries: Vec<AccessEntryView>,
    /// Older entries exist beyond these.
    pub truncated: bool,
}

/// One fetch: who, from which device, which version at which level, when.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccessEntryView {
    pub user_name: String,
    pub device_name: Option<String>,
    pub version: u32,
    /// `confidential`, `secret` or `top_secret`.
    pub classification: String,
    /// Server time, unix ms.
    #[ts(type = "number")]
    pub at: i64,
}
