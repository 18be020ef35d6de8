//! Live events over a real socket: `feed` events reach the caller's
//! committees only.

use serde_json::json;

use crate::both;
use crate::common::*;

both!(
    feed_events_reach_the_committees_members,
    |kind| async move {
        let w = World::new(kind).await;
        let base = serve_in_process(&w.env).await;
        let m = w.meeting("Phiên họp").await;
        w.publish(&m).await;
        let mut member =
            SseReader::open(&base, &w.member.token, w.member.device_id.as_deref()).await;
        let mut outsider =
            SseReader::open(&base, &w.outsider.token, w.outsider.device_id.as_deref()).await;
        let (ev, first) = member.next().await;
        assert_eq!(ev, "feed");
        let head = first["seq"].as_i64().expect("seq");
        outsider.next().await;

        // A change in our committee, then one in the outsider's.
        let item = w.item(&m, "Mục mới", None).await;
        let ours = w.env.all_changes(&w.secretary, head).await;
        let our_seq = ours
            .iter()
            .find(|c| c["id"] == item.as_str())
            .expect("item change")["seq"]
            .as_i64()
            .expect("seq");
        let (s, _) = w
            .env
            .call(
                "POST",
                &format!("/v1/committees/{}/meetings", w.other_committee_id),
                Some(&w.outsider),
                Some(json!({"title": "Họp huyện", "starts_at": T0})),
            )
            .await;
        assert_eq!(s, axum::http::StatusCode::CREATED);
        let theirs = w.env.all_changes(&w.outsider, head).await;
        let their_seq = theirs.last().expect("their change")["seq"]
            .as_i64()
            .expect("seq");

        let (ev, data) = member.next().await;
        assert_eq!((ev.as_str(), data["seq"].as_i64()), ("feed", Some(our_seq)));
        // The outsider's first live event is about their own committee, not ours.
        let (ev, data) = outsider.next().await;
        assert_eq!(
            (ev.as_str(), data["seq"].as_i64()),
            ("feed", Some(their_seq))
        );
    }
);
