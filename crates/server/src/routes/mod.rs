//! The HTTP surface: [`ROUTES`] lists every endpoint; [`app`] builds the
//! router from it and `openapi` describes it.

pub mod accounts;
pub mod admin;
pub mod annotation_key;
pub mod blobs;
pub mod chair;
pub mod comments;
pub mod documents;
pub mod events;
pub mod feed;
pub mod losses;
pub mod meetings;
pub mod openapi;
pub mod opinions;
pub mod ops;
pub mod presentation;
pub mod reading;
pub mod results;
pub mod uploads;
pub mod withdrawals;

use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;

use ecabinet_protocol::{
    AccessRegisterView, AdminDirectory, AgendaItemBody, ChangePasswordRequest, ChangesPage,
    CommitteeBody, CreateAgendaItemRequest, CreateCommitteeRequest, CreateDocumentRequest,
    CreateMeetingRequest, CreateMotionRequest, CreateUserRequest, DeviceBody, DocumentBody,
    DocumentVersionBody, DraftCommentBody, DraftCommentsBody, EnrolCodeRequest, EnrolCodeResponse,
    EnrolDeviceRequest, EnrolDeviceResponse, InclusionProofBody, LoginRequest, LoginResponse,
    LostOpsBody, MeResponse, MeetingBody, MembershipBody, MotionBody, MotionResultBody,
    OpinionFormList, OpsStatusRequest, PresentRequest, PresentationBody, PublishResponse,
    PushRequest, PushResponse, ReadStatusBody, RefreshRequest, RegisterSigningCertificateRequest,
    ReorderSpeakersRequest, ReportLostOpsRequest, ReportLostOpsResponse, ResetPasswordRequest,
    RespondToCommentRequest, SetCurrentItemRequest, SetMembershipRequest, SetPresenterRequest,
    SetTrustedRootsRequest, SignedTrustedRoots, SigningCertificateInfo, SpeakerRequestBody,
    SpeakingTimeRequest, StartUploadRequest, TrustedRootsView, UpdateAgendaItemRequest,
    UpdateCommitteeRequest, UpdateDocumentRequest, UpdateMeetingRequest, UploadBody, UserBody,
    WithdrawRequest, WrappedAnnotationKey,
};

use crate::error::Json;
use crate::{AppState, Config};

/// The named schemas of the description (`#/components/schemas`), filled
/// as routes name their bodies.
pub type Schemas = Vec<(
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
)>;

/// A reference to `T`'s schema, adding it and every schema it uses to `schemas`.
pub fn schema<T: utoipa::ToSchema>(schemas: &mut Schemas) -> serde_json::Value {
    T::schemas(schemas);
    let name = T::name().into_owned();
    if !schemas.iter().any(|(n, _)| *n == name) {
        schemas.push((name.clone(), T::schema()));
    }
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// What a request or an answer carries, for the description. The JSON
/// ones name the very types the handlers (de)serialize, whose schemas are
/// derived from them, so a field cannot change without the description.
#[derive(Clone, Copy)]
pub enum Body {
    /// Nothing (a request without a body, a 204 answer).
    Empty,
    Json(fn(&mut Schemas) -> serde_json::Value),
    /// A JSON array of the type.
    JsonList(fn(&mut Schemas) -> serde_json::Value),
    /// Some JSON object (this description itself).
    AnyObject,
    /// A whole PDF, `application/pdf`.
    Pdf,
    /// A part of a resumable upload, `application/offset+octet-stream`.
    UploadPart,
    /// Bytes as stored, `application/octet-stream`.
    Bytes,
    /// Server-sent events, `text/event-stream`.
    EventStream,
}

/// One endpoint: its method and path (axum syntax), a one-line summary for
/// the OpenAPI description, and how to build its handler.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// Whether it works without a bearer token.
    pub public: bool,
    pub handler: fn(&Config) -> MethodRouter<AppState>,
    /// What the request carries.
    pub request: Body,
    /// What a successful answer carries.
    pub response: Body,
}

impl Endpoint {
    const fn takes(self, request: Body) -> Endpoint {
        Endpoint { request, ..self }
    }

    const fn answers(self, response: Body) -> Endpoint {
        Endpoint { response, ..self }
    }
}

const fn ep(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    handler: fn(&Config) -> MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        public: false,
        handler,
        request: Body::Empty,
        response: Body::Empty,
    }
}

const fn public(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    handler: fn(&Config) -> MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        public: true,
        handler,
        request: Body::Empty,
        response: Body::Empty,
    }
}

/// Every endpoint. The router is built from this table and the OpenAPI
/// description is generated from it, so the two cannot disagree.
pub const ROUTES: &[Endpoint] = &[
    public(
        "GET",
        "/v1/ready",
        "Readiness: 200 when the database and the blob store answer, else 503 naming which",
        |_| get(ready),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<Ready>)),
    public("GET", "/v1/health", "Liveness and the server clock", |_| {
        get(health)
    })
    .takes(Body::Empty)
    .answers(Body::Json(schema::<Health>)),
    public("GET", "/v1/openapi.json", "This description", |_| {
        get(openapi::serve)
    })
    .takes(Body::Empty)
    .answers(Body::AnyObject),
    public(
        "POST",
        "/v1/login",
        "Log in with username and password; returns a bearer token",
        |_| post(accounts::login),
    )
    .takes(Body::Json(schema::<LoginRequest>))
    .answers(Body::Json(schema::<LoginResponse>)),
    public(
        "POST",
        "/v1/session/refresh",
        "A new access token for a device-bound session, signed with the device key",
        |_| post(accounts::refresh),
    )
    .takes(Body::Json(schema::<RefreshRequest>))
    .answers(Body::Json(schema::<LoginResponse>)),
    ep(
        "POST",
        "/v1/logout",
        "End the caller's session: its tokens stop working",
        |_| post(accounts::logout),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/devices",
        "Enrol this device's Ed25519 key, using up an enrol code when one is given (invalid_enrol_code if it is wrong, used or expired); returns the server signing key to pin",
        |_| post(accounts::enrol_device),
    )
    .takes(Body::Json(schema::<EnrolDeviceRequest>))
    .answers(Body::Json(schema::<EnrolDeviceResponse>)),
    ep(
        "POST",
        "/v1/devices/lost-ops",
        "Report the caller's outbox operations a wrong-PIN wipe erased on their earlier device (from the newly enrolled device; a repeat records nothing new)",
        |_| post(losses::report),
    )
    .takes(Body::Json(schema::<ReportLostOpsRequest>))
    .answers(Body::Json(schema::<ReportLostOpsResponse>)),
    ep(
        "GET",
        "/v1/committees/{committee_id}/lost-ops",
        "The operations the committee's members reported lost to a wipe, with the status of any that reached the server (chair, secretary, admin)",
        |_| get(losses::list),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<LostOpsBody>)),
    ep(
        "GET",
        "/v1/me",
        "The caller, their device and their committee roles",
        |_| get(accounts::me),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<MeResponse>)),
    ep(
        "POST",
        "/v1/me/password",
        "Change the caller's password, with the annotation key re-wrapped; the user's other sessions end",
        |_| post(accounts::change_password),
    )
    .takes(Body::Json(schema::<ChangePasswordRequest>))
    .answers(Body::Empty),
    ep("POST", "/v1/admin/users", "Create a user (admin)", |_| {
        post(accounts::create_user)
    })
    .takes(Body::Json(schema::<CreateUserRequest>))
    .answers(Body::Json(schema::<UserBody>)),
    ep(
        "POST",
        "/v1/admin/users/{user_id}/disable",
        "Disable a user: no login or refresh, every token stops working (admin)",
        |_| post(accounts::disable_user),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/admin/users/{user_id}/enable",
        "Enable a disabled user again (admin)",
        |_| post(accounts::enable_user),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "GET",
        "/v1/admin/directory",
        "Every committee and user, with each user's memberships and devices (admin)",
        |_| get(admin::directory),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<AdminDirectory>)),
    ep(
        "GET",
        "/v1/admin/trusted-roots",
        "The root certificates trusted for signatures embedded in documents (admin)",
        |_| get(admin::trusted_roots),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<TrustedRootsView>)),
    ep(
        "PUT",
        "/v1/admin/trusted-roots",
        "Replace the root certificates trusted for signatures embedded in documents (admin, from an enrolled device)",
        |_| put(admin::set_trusted_roots),
    )
    .takes(Body::Json(schema::<SetTrustedRootsRequest>))
    .answers(Body::Json(schema::<TrustedRootsView>)),
    ep(
        "POST",
        "/v1/admin/users/{user_id}/signing-certificates",
        "Register a certificate of the user's signing token: ballots they sign with a token count only with one of theirs (admin, from an enrolled device)",
        |_| post(admin::register_signing_certificate),
    )
    .takes(Body::Json(schema::<RegisterSigningCertificateRequest>))
    .answers(Body::Json(schema::<SigningCertificateInfo>)),
    ep(
        "DELETE",
        "/v1/admin/users/{user_id}/signing-certificates/{sha256}",
        "Remove a registered signing certificate (a lost or replaced token) (admin)",
        |_| delete(admin::remove_signing_certificate),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/admin/users/{user_id}/password",
        "Set a user's password; every session of theirs ends (admin)",
        |_| post(admin::reset_password),
    )
    .takes(Body::Json(schema::<ResetPasswordRequest>))
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/admin/users/{user_id}/enrol-codes",
        "Issue a one-time enrol code for the user's next device (admin)",
        |_| post(admin::issue_enrol_code),
    )
    .takes(Body::Json(schema::<EnrolCodeRequest>))
    .answers(Body::Json(schema::<EnrolCodeResponse>)),
    ep(
        "POST",
        "/v1/admin/committees",
        "Create a committee (admin)",
        |_| post(accounts::create_committee),
    )
    .takes(Body::Json(schema::<CreateCommitteeRequest>))
    .answers(Body::Json(schema::<CommitteeBody>)),
    ep(
        "PATCH",
        "/v1/admin/committees/{committee_id}",
        "Change a committee's settings: its name, read status on or off (admin)",
        |_| patch(accounts::update_committee),
    )
    .takes(Body::Json(schema::<UpdateCommitteeRequest>))
    .answers(Body::Json(schema::<CommitteeBody>)),
    ep(
        "PUT",
        "/v1/admin/committees/{committee_id}/members/{user_id}",
        "Give a user a role in a committee (admin)",
        |_| put(accounts::set_membership),
    )
    .takes(Body::Json(schema::<SetMembershipRequest>))
    .answers(Body::Json(schema::<MembershipBody>)),
    ep(
        "DELETE",
        "/v1/admin/committees/{committee_id}/members/{user_id}",
        "Remove a user from a committee (admin)",
        |_| delete(accounts::remove_membership),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/admin/devices/{device_id}/revoke",
        "Revoke a device: its next request is answered device_revoked (admin)",
        |_| post(accounts::revoke_device),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<DeviceBody>)),
    ep(
        "POST",
        "/v1/committees/{committee_id}/meetings",
        "Create a draft meeting (secretary, chair)",
        |_| post(meetings::create_meeting),
    )
    .takes(Body::Json(schema::<CreateMeetingRequest>))
    .answers(Body::Json(schema::<MeetingBody>)),
    ep(
        "PATCH",
        "/v1/meetings/{meeting_id}",
        "Edit a meeting (secretary, chair)",
        |_| patch(meetings::update_meeting),
    )
    .takes(Body::Json(schema::<UpdateMeetingRequest>))
    .answers(Body::Json(schema::<MeetingBody>)),
    ep(
        "POST",
        "/v1/meetings/{meeting_id}/agenda",
        "Add an agenda item, optionally nested and placed (secretary, chair)",
        |_| post(meetings::create_item),
    )
    .takes(Body::Json(schema::<CreateAgendaItemRequest>))
    .answers(Body::Json(schema::<AgendaItemBody>)),
    ep(
        "POST",
        "/v1/meetings/{meeting_id}/publish",
        "Publish the meeting; sign pending document versions (secretary, chair)",
        |_| post(documents::publish),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<PublishResponse>)),
    ep(
        "POST",
        "/v1/meetings/{meeting_id}/start",
        "Start the session (chair)",
        |_| post(chair::start),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<MeetingBody>)),
    ep(
        "POST",
        "/v1/meetings/{meeting_id}/close",
        "Close the session and its live votes (chair)",
        |_| post(chair::close),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<MeetingBody>)),
    ep(
        "GET",
        "/v1/meetings/{meeting_id}/read-status",
        "Who downloaded and opened each document, per member (chair, secretary, admin; not_enabled unless the committee has read status on)",
        |_| get(reading::read_status),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<ReadStatusBody>)),
    ep(
        "PUT",
        "/v1/meetings/{meeting_id}/current-item",
        "Put an agenda item on the floor (chair)",
        |_| put(chair::set_current_item),
    )
    .takes(Body::Json(schema::<SetCurrentItemRequest>))
    .answers(Body::Json(schema::<MeetingBody>)),
    ep(
        "PATCH",
        "/v1/agenda/{item_id}",
        "Rename, move or reorder an agenda item, or set its planned time and speaking limit (secretary, chair)",
        |_| patch(meetings::update_item),
    )
    .takes(Body::Json(schema::<UpdateAgendaItemRequest>))
    .answers(Body::Json(schema::<AgendaItemBody>)),
    ep(
        "DELETE",
        "/v1/agenda/{item_id}",
        "Delete an agenda item and everything under it (secretary, chair)",
        |_| delete(meetings::delete_item),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/agenda/{item_id}/withdraw",
        "Withdraw an agenda item and the items under it from a published or running meeting, with a reason kept on the record (secretary, chair)",
        |_| post(withdrawals::withdraw_item),
    )
    .takes(Body::Json(schema::<WithdrawRequest>))
    .answers(Body::Json(schema::<AgendaItemBody>)),
    ep(
        "POST",
        "/v1/agenda/{item_id}/documents",
        "Attach a document to an agenda item (secretary, chair)",
        |_| post(documents::create_document),
    )
    .takes(Body::Json(schema::<CreateDocumentRequest>))
    .answers(Body::Json(schema::<DocumentBody>)),
    ep(
        "POST",
        "/v1/agenda/{item_id}/motions",
        "Create a draft motion (secretary, chair)",
        |_| post(chair::create_motion),
    )
    .takes(Body::Json(schema::<CreateMotionRequest>))
    .answers(Body::Json(schema::<MotionBody>)),
    ep(
        "POST",
        "/v1/agenda/{item_id}/speakers",
        "Ask to speak on an item (any member)",
        |_| post(chair::request_to_speak),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<SpeakerRequestBody>)),
    ep(
        "PUT",
        "/v1/agenda/{item_id}/speakers/order",
        "Order the waiting speakers (chair)",
        |_| put(chair::reorder_speakers),
    )
    .takes(Body::Json(schema::<ReorderSpeakersRequest>))
    .answers(Body::JsonList(schema::<SpeakerRequestBody>)),
    ep(
        "DELETE",
        "/v1/documents/{document_id}",
        "Delete a document and its versions (secretary, chair)",
        |_| delete(documents::delete_document),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "PATCH",
        "/v1/documents/{document_id}",
        "Set a document's readers' watermark and export policy; its published versions are signed again under it (secretary, chair)",
        |_| patch(documents::update_document),
    )
    .takes(Body::Json(schema::<UpdateDocumentRequest>))
    .answers(Body::Json(schema::<DocumentBody>)),
    ep(
        "GET",
        "/v1/documents/{document_id}/access-register",
        "Who fetched the document's bytes while it was classified, from which device and when, newest first (secretary, chair, administrator)",
        |_| get(documents::access_register),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<AccessRegisterView>)),
    ep(
        "GET",
        "/v1/documents/{document_id}/comments",
        "Members' comments on the draft: all for the secretary and chair, a member's own (or all, when the committee shares them) for a member",
        |_| get(comments::list),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<DraftCommentsBody>)),
    ep(
        "PUT",
        "/v1/comments/{comment_id}/response",
        "Answer a comment on a draft: accepted, answered or declined with a reply (secretary, chair)",
        |_| put(comments::respond),
    )
    .takes(Body::Json(schema::<RespondToCommentRequest>))
    .answers(Body::Json(schema::<DraftCommentBody>)),
    ep(
        "POST",
        "/v1/documents/{document_id}/withdraw",
        "Withdraw a document from a published or running meeting, with a reason kept on the record; its versions stay readable (secretary, chair)",
        |_| post(withdrawals::withdraw_document),
    )
    .takes(Body::Json(schema::<WithdrawRequest>))
    .answers(Body::Json(schema::<DocumentBody>)),
    ep(
        "POST",
        "/v1/documents/{document_id}/versions",
        "Upload a PDF (application/pdf body) as the next version (secretary, chair)",
        |_| post(documents::upload_version),
    )
    .takes(Body::Pdf)
    .answers(Body::Json(schema::<DocumentVersionBody>)),
    ep(
        "POST",
        "/v1/documents/{document_id}/uploads",
        "Open a resumable upload of the next version, `size` bytes (secretary, chair); parts follow with PATCH /v1/uploads/{upload_id}",
        |_| post(uploads::start),
    )
    .takes(Body::Json(schema::<StartUploadRequest>))
    .answers(Body::Json(schema::<UploadBody>)),
    ep(
        "GET",
        "/v1/uploads/{upload_id}",
        "Where a resumable upload stands: the checked bytes the server holds (its uploader only)",
        |_| get(uploads::status),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<UploadBody>)),
    ep(
        "PATCH",
        "/v1/uploads/{upload_id}",
        "One part of a resumable upload (application/offset+octet-stream) at `Upload-Offset`, with `Upload-Checksum: sha256 HEX`; a part cut short or not matching is discarded whole",
        |_| patch(uploads::part),
    )
    .takes(Body::UploadPart)
    .answers(Body::Json(schema::<UploadBody>)),
    ep(
        "DELETE",
        "/v1/uploads/{upload_id}",
        "Drop an unfinished upload",
        |_| delete(uploads::cancel),
    )
    .takes(Body::Empty)
    .answers(Body::Empty),
    ep(
        "POST",
        "/v1/uploads/{upload_id}/finish",
        "Check the whole uploaded PDF as a whole upload is checked and make it the document's next version",
        |_| post(uploads::finish),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<DocumentVersionBody>)),
    ep(
        "POST",
        "/v1/motions/{motion_id}/open",
        "Open a motion (chair)",
        |_| post(chair::open_motion),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<MotionBody>)),
    ep(
        "POST",
        "/v1/motions/{motion_id}/close",
        "Close a motion (chair)",
        |_| post(chair::close_motion),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<MotionBody>)),
    ep(
        "GET",
        "/v1/motions/{motion_id}/result",
        "The tally, provisional or final (published to the feed once final); the chair also gets who has not voted",
        |_| get(results::result),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<MotionResultBody>)),
    ep(
        "GET",
        "/v1/motions/{motion_id}/opinions",
        "A written consultation's opinion forms (phiếu lấy ý kiến): the PDFs signed with the members' tokens together with their ballots",
        |_| get(opinions::list),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<OpinionFormList>)),
    ep(
        "GET",
        "/v1/motions/{motion_id}/opinions/{op_id}",
        "One opinion form's PDF, as its member signed it",
        |_| get(opinions::get_form),
    )
    .takes(Body::Empty)
    .answers(Body::Pdf),
    ep(
        "POST",
        "/v1/speakers/{speaker_id}/grant",
        "Give the floor (chair)",
        |_| post(chair::grant_speaker),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<SpeakerRequestBody>)),
    ep(
        "PUT",
        "/v1/speakers/{speaker_id}/time-limit",
        "Set, extend or lift the current speaker's time limit, ms from when they were given the floor (chair)",
        |_| put(chair::set_speaking_time),
    )
    .takes(Body::Json(schema::<SpeakingTimeRequest>))
    .answers(Body::Json(schema::<SpeakerRequestBody>)),
    ep(
        "POST",
        "/v1/speakers/{speaker_id}/end",
        "End a speech (chair)",
        |_| post(chair::end_speaker),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<SpeakerRequestBody>)),
    ep(
        "POST",
        "/v1/speakers/{speaker_id}/withdraw",
        "Withdraw a request to speak (its member, or the chair)",
        |_| post(chair::withdraw_speaker),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<SpeakerRequestBody>)),
    ep(
        "POST",
        "/v1/ops",
        "Push outbox operations (ballots, attendance, requests to speak, sealed annotations); one result per op",
        |_| post(ops::push),
    )
    .takes(Body::Json(schema::<PushRequest>))
    .answers(Body::Json(schema::<PushResponse>)),
    ep(
        "POST",
        "/v1/ops/status",
        "The current outcome of the caller's pushed operations",
        |_| post(ops::status),
    )
    .takes(Body::Json(schema::<OpsStatusRequest>))
    .answers(Body::Json(schema::<PushResponse>)),
    ep(
        "GET",
        "/v1/audit/inclusion/{receipt}",
        "Proof that the audit record with this receipt is in the chain ending at its motion's published result head",
        |_| get(results::inclusion),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<InclusionProofBody>)),
    ep(
        "GET",
        "/v1/annotation-key",
        "The caller's annotation key, wrapped under their password (not_found before their first device stores one)",
        |_| get(annotation_key::get_key),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<WrappedAnnotationKey>)),
    ep(
        "PUT",
        "/v1/annotation-key",
        "Store the caller's wrapped annotation key: the first, or a rewrap of the same key (conflict otherwise)",
        |_| put(annotation_key::put_key),
    )
    .takes(Body::Json(schema::<WrappedAnnotationKey>))
    .answers(Body::Json(schema::<WrappedAnnotationKey>)),
    ep(
        "GET",
        "/v1/changes",
        "A page of the caller's change feed after `since`",
        |_| get(feed::changes),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<ChangesPage>)),
    ep(
        "PUT",
        "/v1/meetings/{meeting_id}/presenter",
        "Hand presenting to a member of the committee, or take it back (chair; in session)",
        |_| put(presentation::set_presenter),
    )
    .takes(Body::Json(schema::<SetPresenterRequest>))
    .answers(Body::Json(schema::<PresentationBody>)),
    ep(
        "PUT",
        "/v1/meetings/{meeting_id}/presentation",
        "Show a page of a published version to every member (the presenter, or the chair; in session)",
        |_| put(presentation::present),
    )
    .takes(Body::Json(schema::<PresentRequest>))
    .answers(Body::Json(schema::<PresentationBody>)),
    ep(
        "DELETE",
        "/v1/meetings/{meeting_id}/presentation",
        "Stop presenting (the presenter, or the chair)",
        |_| delete(presentation::stop),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<PresentationBody>)),
    ep(
        "GET",
        "/v1/trusted-roots",
        "The signed list of root certificates trusted for signatures embedded in documents",
        |_| get(feed::trusted_roots),
    )
    .takes(Body::Empty)
    .answers(Body::Json(schema::<SignedTrustedRoots>)),
    ep(
        "GET",
        "/v1/blobs/{sha256}",
        "Document bytes by SHA-256, with ETag, Range and If-Range",
        |_| get(blobs::get_blob),
    )
    .takes(Body::Empty)
    .answers(Body::Bytes),
    ep(
        "GET",
        "/v1/events",
        "Server-sent events: `feed` {seq} whenever the caller's feed advances",
        |_| get(events::events),
    )
    .takes(Body::Empty)
    .answers(Body::EventStream),
];

/// The whole HTTP API on `state`, built from [`ROUTES`].
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for e in ROUTES {
        // Routes on the same path merge their methods.
        router = router.route(e.path, (e.handler)(&state.config));
    }
    router
        // Outside /v1 and the OpenAPI description: an operator's endpoint,
        // off unless a scrape token is configured (see `metrics`).
        .route("/metrics", get(crate::metrics::scrape))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .fallback(|| async { crate::AppError::not_found("endpoint") })
        // Outermost: every request, routed or not, gets its id and its line.
        .layer(axum::middleware::from_fn(crate::logging::requests))
        .with_state(state)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Health {
    status: &'static str,
    server_time: i64,
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        server_time: state.now(),
    })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Ready {
    status: &'static str,
}

/// `GET /v1/ready`: the database answers a query and the blob store a probe.
/// A failure names the part, never the error's text (which can carry a host
/// or a path); the log has the details.
async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<Ready>, crate::AppError> {
    let unavailable = |what: &str| {
        crate::AppError::new(
            ecabinet_protocol::ErrorCode::Unavailable,
            format!("not ready: the {what} does not answer"),
        )
    };
    let db = state
        .db
        .read(|conn| conn.query("SELECT 1", &[]).map(drop))
        .await;
    if let Err(e) = db {
        tracing::warn!("readiness: the database does not answer: {e}");
        return Err(unavailable("database"));
    }
    if let Err(e) = state.blobs.ready().await {
        tracing::warn!("readiness: the blob store does not answer: {e}");
        return Err(unavailable("blob store"));
    }
    Ok(Json(Ready { status: "ready" }))
}
