//! Wire types shared by the sync server and the client, versioned under `/v1`.
//!
//! Domain types from `ecabinet-model` never cross the wire directly: each has a
//! wire form here and an explicit conversion, so a change of representation on
//! one side is a compile error on the other instead of a silent protocol break.
//!
//! Conventions: every time on the wire is unix milliseconds UTC (`i64`); ids are
//! opaque strings; keys and signatures are standard base64; hashes are lower-case hex.

pub mod annotations;
pub mod api;
pub mod comments;
pub mod enrol_code;
mod error;
pub mod feed;
pub mod hex;
mod key_rotation;
mod manifest;
pub mod ops;
mod presentation;
mod text_layer;
mod trusted_roots;

pub use annotations::{
    annotation_key_aad, sealed_annotation_aad, AnnotationContent, Hlc, SealedAnnotation,
    WrappedAnnotationKey, ANNOTATION_KDF, ANNOTATION_KEY_PATH, MAX_ANNOTATION_CIPHERTEXT,
    MAX_ANNOTATION_ID_LEN,
};
pub use api::*;
pub use comments::{
    CommentBody, CommentRegion, CommentStatus, DraftCommentBody, DraftCommentsBody,
    RespondToCommentRequest, MAX_COMMENTS_PER_DOCUMENT, MAX_COMMENTS_PER_MEMBER, MAX_COMMENT_CHARS,
    MAX_COMMENT_LINES, MAX_COMMENT_PAGE, MAX_REPLY_CHARS,
};
pub use error::{ErrorBody, ErrorCode};
pub use feed::{
    Change, ChangesPage, ChangesQuery, EntityKind, FeedAdvanced, Op, DEFAULT_PAGE, FEED_EVENT,
    MAX_PAGE, RESYNC_EVENT,
};
pub use key_rotation::{
    follow_rotations, KeyRotation, RotationError, KEY_ROTATION_DOMAIN, MAX_KEY_ROTATIONS,
};
pub use manifest::{
    verify_signature, Classification, DocumentPolicy, ExportPolicy, Manifest, SignatureError,
    SignedManifest, MANIFEST_DOMAIN, MANIFEST_V2_DOMAIN,
};
pub use ops::{
    secret_ballot_record, AttendanceBody, AttendanceRecordBody, AuditRecordWire, BallotBody,
    BallotReceipt, ChairViewBody, InclusionProofBody, MotionResultBody, OpKind, OpOutcome,
    OpResult, Operation, OpinionFormBody, OpinionFormList, OpinionFormText, OpsStatusRequest,
    PresenceWire, PushRequest, PushResponse, QualifiedSignatureBody, ReadBody, ReadState,
    RejectReason, ResultFinality, ResultOutcome, SpeakBody, MAX_OPINION_FORM_BYTES,
    MAX_OPS_PER_PUSH,
};
pub use presentation::{PresentRequest, PresentationBody, SetPresenterRequest};
pub use text_layer::{
    OcrWord, TextLayer, TextLayerManifest, TextLayerPage, TextLayerState, TextLayerStatus,
    MAX_TEXT_LAYER_BYTES, TEXT_LAYER_DOMAIN,
};

pub use trusted_roots::{
    RegisterSigningCertificateRequest, SetTrustedRootsRequest, SignedTrustedRoots,
    SigningCertificateInfo, TrustedRootInfo, TrustedRootsView, MAX_SIGNING_CERTIFICATE_PEM,
    MAX_TRUSTED_ROOTS_PEM, TRUSTED_ROOTS_DOMAIN,
};

/// The path prefix of every endpoint of this protocol version.
pub const API_PREFIX: &str = "/v1";
