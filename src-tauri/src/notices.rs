//! What deserves a desktop notification. After every sync round the shell
//! compares what the cache holds with what it held after the previous round
//! and tells the UI what is new for this member: a motion opened that I may
//! vote on, a document or a new version of one (once it is downloaded, so it
//! opens at once), the floor given to me. The UI words it in the member's
//! language and shows it (system notification and an in-app banner).
//!
//! The first round of a session only learns what is there: unlocking the app
//! must not replay every motion and document ever seen.

use std::collections::BTreeMap;

use ecabinet_store::{Entity, Store};

use crate::convert::text;
use crate::ipc::{IpcError, NoticeKind, NoticeView};
use crate::state::AppState;

/// Everything that could be announced, by a key unique per thing and state.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Seen(BTreeMap<String, NoticeView>);

impl Seen {
    /// What is in `now` and was not in `self`, oldest kind first.
    pub(crate) fn news(&self, now: &Seen) -> Vec<NoticeView> {
        now.0
            .iter()
            .filter(|(k, _)| !self.0.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Reads what the cache holds now.
pub(crate) fn scan(store: &Store, my_user_id: &str) -> Result<Seen, IpcError> {
    let mut seen = BTreeMap::new();
    let mut add = |key: String,
                   kind,
                   title: String,
                   meeting_id: &str,
                   meeting_title: &str,
                   target_id: &str| {
        seen.insert(
            key,
            NoticeView {
                kind,
                title,
                meeting_id: meeting_id.to_owned(),
                meeting_title: meeting_title.to_owned(),
                target_id: target_id.to_owned(),
            },
        );
    };
    for m in crate::floor::open_motions(store, my_user_id)? {
        add(
            format!("motion:{}", m.id),
            NoticeKind::MotionOpened,
            m.question.clone(),
            &m.meeting_id,
            &m.meeting_title,
            &m.id,
        );
    }
    for meeting in store.meetings(None)? {
        let meeting_title = text(&meeting.body, "title");
        for (doc_id, doc) in store.documents(&meeting.id)? {
            for v in store.verified_versions(&doc_id)? {
                if !store.has_blob(&v.sha256)? {
                    continue;
                }
                let kind = if v.version > 1 {
                    NoticeKind::NewVersion
                } else {
                    NoticeKind::DocumentArrived
                };
                add(
                    format!("version:{}", v.id),
                    kind,
                    text(&doc, "title"),
                    &meeting.id,
                    &meeting_title,
                    &v.id,
                );
            }
        }
        let floor = crate::floor::meeting_floor(store, &meeting.id, my_user_id)?;
        for s in floor.speakers {
            if s.user_id == my_user_id && s.status == "speaking" {
                let item = store
                    .entity(Entity::AgendaItem, &s.agenda_item_id)?
                    .map(|b| text(&b, "title"))
                    .unwrap_or_default();
                add(
                    format!("floor:{}", s.id),
                    NoticeKind::FloorGranted,
                    item,
                    &meeting.id,
                    &meeting_title,
                    &s.id,
                );
            }
        }
    }
    Ok(Seen(seen))
}

/// What the session's last sync round found (the slot in `AppState`).
#[derive(Default)]
struct LastSeen(Option<Seen>);

/// Records what a sync round found; returns what is new since the previous
/// round (nothing on the session's first round).
pub(crate) fn news(state: &AppState, now: Seen) -> Vec<NoticeView> {
    state.with_slot(|LastSeen(seen): &mut LastSeen| {
        let news = seen
            .as_ref()
            .map(|before| before.news(&now))
            .unwrap_or_default();
        *seen = Some(now);
        news
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(keys: &[(&str, NoticeKind)]) -> Seen {
        Seen(
            keys.iter()
                .map(|(k, kind)| {
                    (
                        (*k).to_owned(),
                        NoticeView {
                            kind: *kind,
                            title: format!("t-{k}"),
                            meeting_id: "m".into(),
                            meeting_title: "M".into(),
                            target_id: (*k).to_owned(),
                        },
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn only_what_appeared_since_the_last_round_is_news() {
        let before = seen(&[
            ("motion:a", NoticeKind::MotionOpened),
            ("version:v1", NoticeKind::DocumentArrived),
        ]);
        let now = seen(&[
            ("motion:a", NoticeKind::MotionOpened),
            ("version:v1", NoticeKind::DocumentArrived),
            ("version:v2", NoticeKind::NewVersion),
            ("floor:s", NoticeKind::FloorGranted),
        ]);
        let news = before.news(&now);
        let ids: Vec<_> = news.iter().map(|n| n.target_id.as_str()).collect();
        assert_eq!(ids, ["floor:s", "version:v2"]);
        // A motion that closed and a document that went away are not news.
        assert!(now.news(&before).is_empty());
    }
}
