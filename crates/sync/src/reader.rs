//! What a document's signed policy asks of the reader's copy: the
//! watermark's text (the reader's name and unit, and the time) and whether
//! a copy may leave the app at all. The app and the CLI both ask here, so
//! they cannot enforce different things.

use ecabinet_store::{Entity, Store, VerifiedVersion};

use crate::{policy_of, Session, SyncError};

/// Vietnam's offset from UTC (no daylight saving), for the watermark's time.
const VIETNAM_OFFSET_MS: i64 = 7 * 3_600_000;

/// The watermark lines for the signed-in reader of `v` at `now_ms`:
/// "Name · Committee" and "dd/mm/yyyy hh:mm (GMT+7)".
pub fn watermark_lines(
    store: &Store,
    v: &VerifiedVersion,
    now_ms: i64,
) -> Result<Vec<String>, SyncError> {
    let committee_id = store
        .entity(Entity::Meeting, &v.meeting_id)
        .map_err(SyncError::Store)?
        .map(|m| text_field(&m, "committee_id"))
        .unwrap_or_default();
    let reader = reader_identity(store, &committee_id)?;
    let first = if reader.committee.is_empty() {
        reader.name
    } else {
        format!("{} · {}", reader.name, reader.committee)
    };
    Ok(vec![first, vietnam_time(now_ms)])
}

/// Who the signed-in user is in a committee, as a watermark or an opinion
/// form names them.
pub(crate) struct ReaderIdentity {
    /// Their display name in the committee, or their username without one.
    pub name: String,
    /// The committee's name (empty when it is not cached).
    pub committee: String,
}

/// The signed-in user's [`ReaderIdentity`] in committee `committee_id`.
pub(crate) fn reader_identity(
    store: &Store,
    committee_id: &str,
) -> Result<ReaderIdentity, SyncError> {
    let session = Session::load(store)?.ok_or(SyncError::NotEnrolled)?;
    let committee = store
        .entity(Entity::Committee, committee_id)
        .map_err(SyncError::Store)?
        .map(|c| text_field(&c, "name"))
        .unwrap_or_default();
    let name = store
        .memberships(Some(committee_id))
        .map_err(SyncError::Store)?
        .iter()
        .find(|m| text_field(m, "user_id") == session.user_id)
        .map(|m| text_field(m, "display_name"))
        .filter(|n| !n.is_empty())
        .unwrap_or(session.username);
    Ok(ReaderIdentity { name, committee })
}

/// A cached record's string field `f` (empty when absent).
pub(crate) fn text_field(record: &serde_json::Value, f: &str) -> String {
    record
        .get(f)
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// `dd/mm/yyyy hh:mm (GMT+7)` of a unix time in ms.
pub fn vietnam_time(now_ms: i64) -> String {
    let secs = (now_ms + VIETNAM_OFFSET_MS).div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{d:02}/{m:02}/{y:04} {:02}:{:02} (GMT+7)",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The proleptic Gregorian date of a count of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The title of document `document_id` of `v`'s meeting as the cache holds
/// it, or the id when the cache has no title (a name for files and headings).
pub fn document_title(
    store: &Store,
    v: &VerifiedVersion,
    document_id: &str,
) -> Result<String, SyncError> {
    Ok(store
        .documents(&v.meeting_id)
        .map_err(SyncError::Store)?
        .into_iter()
        .find(|(id, _)| id == document_id)
        .and_then(|(_, body)| body["title"].as_str().map(str::to_owned))
        .unwrap_or_else(|| document_id.to_owned()))
}

/// The watermark a copy of `v` leaving the app must carry (`None`: none),
/// or [`SyncError::ExportForbidden`] when no copy may leave.
pub fn export_watermark(
    store: &Store,
    v: &VerifiedVersion,
    now_ms: i64,
) -> Result<Option<Vec<String>>, SyncError> {
    let policy = policy_of(v)?.unwrap_or_default();
    if policy.copies_forbidden() {
        return Err(SyncError::ExportForbidden);
    }
    if policy.export_watermarked() {
        return watermark_lines(store, v, now_ms).map(Some);
    }
    Ok(None)
}

/// The watermark every page image of `v` carries in the viewer (`None`: none).
pub fn view_watermark(
    store: &Store,
    v: &VerifiedVersion,
    now_ms: i64,
) -> Result<Option<Vec<String>>, SyncError> {
    if policy_of(v)?.unwrap_or_default().reader_watermark {
        return watermark_lines(store, v, now_ms).map(Some);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_is_vietnam_time_with_its_date() {
        // 2026-12-04 12:45:00 UTC is 19:45 in Hà Nội.
        assert_eq!(vietnam_time(1_796_388_300_000), "04/12/2026 19:45 (GMT+7)");
        // Past midnight in Vietnam while still the day before in UTC.
        assert_eq!(vietnam_time(1_767_200_400_000), "01/01/2026 00:00 (GMT+7)");
        assert_eq!(vietnam_time(0), "01/01/1970 07:00 (GMT+7)");
    }
}
