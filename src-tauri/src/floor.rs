//! The meeting room as cached: motions with my ballot and their published
//! result, the speaker queue, the committee's members and their attendance,
//! turned into the UI's view types.

use std::collections::HashMap;

use ecabinet_protocol::{AttendanceBody, MotionResultBody, OpKind, SpeakBody};
use ecabinet_store::{Entity, OutboxState, Store};
use serde_json::Value;

use crate::convert::ballot_view;
use crate::convert::text;
use crate::ipc::{
    BallotStateView, BallotView, ChairCountView, ChairResultView, IpcError, IpcErrorCode,
    MeetingFloor, MemberView, MotionView, ResultView, SpeakerView,
};

fn int(body: &Value, field: &str) -> Option<i64> {
    body.get(field).and_then(Value::as_i64)
}

/// `(user_id, display_name, role)` of a committee, by name.
fn memberships(
    store: &Store,
    committee_id: &str,
) -> Result<Vec<(String, String, String)>, IpcError> {
    let mut out: Vec<_> = store
        .memberships(Some(committee_id))?
        .iter()
        .map(|b| (text(b, "user_id"), text(b, "display_name"), text(b, "role")))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// A tally as the UI shows it.
pub(crate) fn result_view(r: &MotionResultBody) -> ResultView {
    let outcome = serde_json::to_value(r.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    ResultView {
        is_final: r.finality == ecabinet_protocol::ResultFinality::Final,
        counts: r.counts.clone(),
        participating: r.participating,
        present: r.present,
        eligible: r.eligible,
        quorum_required: r.quorum_required,
        quorum_met: r.quorum_met,
        outcome,
        audit_head: r.audit_head.clone(),
    }
}

/// The chair's answer, with user ids turned into names.
pub(crate) fn chair_result_view(
    store: &Store,
    r: &MotionResultBody,
) -> Result<ChairResultView, IpcError> {
    let names: HashMap<String, String> = match store.entity(Entity::Motion, &r.motion_id)? {
        Some(mo) => {
            let meeting = store.entity(Entity::Meeting, &text(&mo, "meeting_id"))?;
            let committee = meeting
                .map(|m| text(&m, "committee_id"))
                .unwrap_or_default();
            memberships(store, &committee)?
                .into_iter()
                .map(|(id, name, _)| (id, name))
                .collect()
        }
        None => HashMap::new(),
    };
    let chair = r.chair.as_ref().map(|c| ChairCountView {
        received: c.received,
        eligible: c.eligible,
        not_voted: c.not_voted.as_ref().map(|ids| {
            let mut list: Vec<String> = ids
                .iter()
                .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
                .collect();
            list.sort();
            list
        }),
        not_voted_count: c.not_voted_count,
        unsynced_devices: c.unsynced_devices,
    });
    Ok(ChairResultView {
        motion_id: r.motion_id.clone(),
        result: result_view(r),
        chair,
    })
}

/// My ballot on each motion: the latest, unless a refused retry follows a counted one.
fn my_ballots(store: &Store) -> Result<HashMap<String, BallotView>, IpcError> {
    let mut out: HashMap<String, BallotView> = HashMap::new();
    for b in ecabinet_sync::ballots(store)? {
        let v = ballot_view(b);
        let keep_earlier = matches!(v.state, BallotStateView::Rejected { .. })
            && out
                .get(&v.motion_id)
                .is_some_and(|e| matches!(e.state, BallotStateView::Accepted));
        if !keep_earlier {
            out.insert(v.motion_id.clone(), v);
        }
    }
    Ok(out)
}

struct Context<'a> {
    my_user_id: &'a str,
    /// Committees I belong to.
    my_committees: &'a [String],
    ballots: &'a HashMap<String, BallotView>,
}

fn motion_view(
    store: &Store,
    body: &Value,
    meeting: &Value,
    cx: &Context<'_>,
) -> Result<MotionView, IpcError> {
    let id = text(body, "id");
    let eligible = match body.get("eligible").and_then(Value::as_array) {
        Some(list) => list.iter().any(|u| u.as_str() == Some(cx.my_user_id)),
        None => cx.my_committees.contains(&text(meeting, "committee_id")),
    };
    let result = store
        .motion_results(&id)?
        .into_iter()
        .find_map(|(_, b)| serde_json::from_value::<MotionResultBody>(b).ok())
        .map(|r| result_view(&r));
    Ok(MotionView {
        meeting_id: text(body, "meeting_id"),
        meeting_title: text(meeting, "title"),
        agenda_item_id: text(body, "agenda_item_id"),
        question: text(body, "question"),
        options: ecabinet_sync::motion_options(body),
        kind: text(body, "kind"),
        mode: text(body, "mode"),
        status: text(body, "status"),
        deadline: int(body, "deadline"),
        opened_at: int(body, "opened_at"),
        closed_at: int(body, "closed_at"),
        grace_ms: int(body, "grace_ms").unwrap_or(120_000),
        may_change_vote: body
            .get("may_change_vote")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        signed_ballots: body
            .get("signed_ballots")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        quorum: int(body, "quorum")
            .and_then(|q| u32::try_from(q).ok())
            .unwrap_or(0),
        eligible,
        my_ballot: cx.ballots.get(&id).cloned(),
        result,
        id,
    })
}

fn my_committees(store: &Store, my_user_id: &str) -> Result<Vec<String>, IpcError> {
    Ok(store
        .memberships(None)?
        .iter()
        .filter(|b| text(b, "user_id") == my_user_id)
        .map(|b| text(b, "committee_id"))
        .collect())
}

/// Open motions of every meeting I may vote on: what the vote dialog offers.
pub(crate) fn open_motions(store: &Store, my_user_id: &str) -> Result<Vec<MotionView>, IpcError> {
    let committees = my_committees(store, my_user_id)?;
    let ballots = my_ballots(store)?;
    let cx = Context {
        my_user_id,
        my_committees: &committees,
        ballots: &ballots,
    };
    let mut out = Vec::new();
    for m in store.meetings(None)? {
        for (_, body) in store.motions(&m.id)? {
            if text(&body, "status") == "open" {
                let v = motion_view(store, &body, &m.body, &cx)?;
                if v.eligible {
                    out.push(v);
                }
            }
        }
    }
    out.sort_by_key(|m| m.opened_at);
    Ok(out)
}

/// What happens in one meeting's room.
pub(crate) fn meeting_floor(
    store: &Store,
    meeting_id: &str,
    my_user_id: &str,
) -> Result<MeetingFloor, IpcError> {
    let meeting = store.entity(Entity::Meeting, meeting_id)?.ok_or_else(|| {
        IpcError::new(
            IpcErrorCode::NotFound,
            format!("meeting {meeting_id} is not in the local cache"),
        )
    })?;
    let committee = text(&meeting, "committee_id");
    let members = memberships(store, &committee)?;
    let my_role = members
        .iter()
        .find(|(id, _, _)| id == my_user_id)
        .map(|(_, _, role)| role.clone());
    let committees = vec![committee];
    let ballots = my_ballots(store)?;
    let cx = Context {
        my_user_id,
        my_committees: &committees,
        ballots: &ballots,
    };
    let mut motions = store
        .motions(meeting_id)?
        .iter()
        .map(|(_, b)| motion_view(store, b, &meeting, &cx))
        .collect::<Result<Vec<_>, _>>()?;
    // What the room is voting on first, then what is being prepared, then the past.
    let rank = |m: &MotionView| match m.status.as_str() {
        "open" => 0,
        "draft" => 1,
        _ => 2,
    };
    motions.sort_by_key(|m| (rank(m), std::cmp::Reverse(m.opened_at)));

    let mut speakers: Vec<SpeakerView> = store
        .speaker_requests(meeting_id)?
        .iter()
        .map(|b| SpeakerView {
            id: text(b, "id"),
            agenda_item_id: text(b, "agenda_item_id"),
            user_id: text(b, "user_id"),
            display_name: text(b, "display_name"),
            status: text(b, "status"),
            position: int(b, "position").unwrap_or(0),
            requested_at: int(b, "requested_at").unwrap_or(0),
            granted_at: int(b, "granted_at"),
            time_limit_ms: int(b, "time_limit_ms"),
        })
        .collect();
    speakers.sort_by(|a, b| {
        (&a.agenda_item_id, a.position, &a.id).cmp(&(&b.agenda_item_id, b.position, &b.id))
    });

    let presence: HashMap<String, String> = store
        .attendance(meeting_id)?
        .iter()
        .map(|b| (text(b, "member_id"), text(b, "presence")))
        .collect();
    let members = members
        .into_iter()
        .map(|(user_id, display_name, role)| MemberView {
            presence: presence.get(&user_id).cloned(),
            user_id,
            display_name,
            role,
        })
        .collect();

    let mut check_in_pending = false;
    let mut speak_pending = Vec::new();
    for op in store.outbox()? {
        if !matches!(op.state, OutboxState::Pending | OutboxState::Sent) {
            continue;
        }
        match OpKind::parse(&op.kind) {
            Some(OpKind::Attendance)
                if serde_json::from_slice::<AttendanceBody>(&op.payload)
                    .is_ok_and(|a| a.meeting_id == meeting_id) =>
            {
                check_in_pending = true;
            }
            Some(OpKind::Speak) => {
                if let Ok(s) = serde_json::from_slice::<SpeakBody>(&op.payload) {
                    speak_pending.push(s.agenda_item_id);
                }
            }
            _ => {}
        }
    }

    Ok(MeetingFloor {
        meeting_id: meeting_id.to_owned(),
        my_user_id: my_user_id.to_owned(),
        my_role,
        motions,
        speakers,
        members,
        check_in_pending,
        speak_pending,
        clock_offset_ms: store.clock_offset_ms()?,
    })
}
