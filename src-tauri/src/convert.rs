//! Small conversions that several feature modules share: a text field of a
//! cached wire body, and a ballot of the outbox as the UI shows it. They sit
//! below the feature modules and import none of them.

use serde_json::Value;

use crate::ipc::{BallotStateView, BallotView};

/// A text field of a cached wire body; empty when absent.
pub(crate) fn text(body: &Value, field: &str) -> String {
    body.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The outbox's view of a ballot, for the UI.
pub(crate) fn ballot_view(b: ecabinet_sync::BallotState) -> BallotView {
    let state = match b.state.as_str() {
        "sent" => BallotStateView::Sent,
        "accepted" => BallotStateView::Accepted,
        "superseded" => BallotStateView::Superseded,
        "rejected" => BallotStateView::Rejected {
            reason: b.reason.unwrap_or_default(),
        },
        _ => BallotStateView::Pending,
    };
    BallotView {
        op_id: b.op_id,
        motion_id: b.motion_id,
        choice: b.choice,
        cast_at: b.cast_at,
        state,
    }
}
