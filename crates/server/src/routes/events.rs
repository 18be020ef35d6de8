//! `GET /v1/events`: server-sent events "feed advanced to SEQ" for the
//! caller's committees, fed by the database's nudges (LISTEN/NOTIFY across
//! processes on PostgreSQL).

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use ecabinet_protocol::{FeedAdvanced, FEED_EVENT, RESYNC_EVENT};
use futures_util::stream::{self, Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use crate::auth::Caller;
use crate::{params, AppError, AppState};

fn feed_event(seq: i64) -> Event {
    let data = serde_json::to_string(&FeedAdvanced { seq }).unwrap_or_default();
    Event::default().event(FEED_EVENT).data(data)
}

pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    // Subscribe before reading the head, so nothing falls between the two.
    let rx = state.db.subscribe();
    let user = caller.user_id.clone();
    let (committees, head) = state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT committee_id FROM memberships WHERE user_id = ?",
                params![&user],
            )?;
            let mut set = rows
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<HashSet<_>, _>>()?;
            // The user's private records (their annotations) advance the feed too.
            set.insert(crate::annotations::user_scope(&user));
            let head = conn
                .query("SELECT COALESCE(MAX(seq), 0) FROM changes", &[])?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            Ok::<_, AppError>((set, head))
        })
        .await?;
    // First event: where the feed stands now, so a client can catch up at once.
    let first = stream::once(async move { Ok::<_, Infallible>(feed_event(head)) });
    // Counted as a subscriber while the stream lives.
    let subscriber = crate::metrics::subscriber(&state);
    let live = BroadcastStream::new(rx).filter_map(move |msg| {
        let _counted = &subscriber;
        let out = match msg {
            // Nudges already covered by the first event (late NOTIFY deliveries) are dropped.
            Ok(n) if n.seq > head && committees.contains(&n.committee_id) => {
                Some(Ok(feed_event(n.seq)))
            }
            Ok(_) => None,
            // This subscriber fell behind and nudges were dropped: tell it to pull.
            Err(_) => Some(Ok(Event::default().event(RESYNC_EVENT).data("{}"))),
        };
        async move { out }
    });
    Ok(Sse::new(first.chain(live)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
