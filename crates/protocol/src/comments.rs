//! Members' comments on a published draft before the meeting (góp ý dự
//! thảo): written on a device, offline too, and sent through the outbox as
//! [`crate::OpKind::Comment`] with a ballot's guarantees (once, never lost,
//! every refusal visible). The secretary answers each one. Unlike private
//! annotations they are not end-to-end encrypted: they are meant for the
//! secretary and the chair.

use serde::{Deserialize, Serialize};

/// Longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 4000;
/// Longest reply of the secretary, in characters.
pub const MAX_REPLY_CHARS: usize = 4000;
/// Most lines in one comment.
pub const MAX_COMMENT_LINES: usize = 60;
/// Most comments one member keeps on one document.
pub const MAX_COMMENTS_PER_MEMBER: usize = 50;
/// Most comments on one document (a committee's worth, and what one
/// answer of the list can carry).
pub const MAX_COMMENTS_PER_DOCUMENT: usize = 300;

/// A region of a page, as fractions of its width and height from the
/// top-left corner (0 to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommentRegion {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl CommentRegion {
    /// Inside the page, with some area.
    pub fn is_valid(&self) -> bool {
        let inside = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        inside(self.x)
            && inside(self.y)
            && self.w.is_finite()
            && self.h.is_finite()
            && self.w > 0.0
            && self.h > 0.0
            && self.x + self.w <= 1.0 + 1e-4
            && self.y + self.h <= 1.0 + 1e-4
    }
}

/// The body of a `comment` operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommentBody {
    /// The published version commented on.
    pub version_id: String,
    /// 1-based page; absent for a comment on the whole document.
    #[serde(default)]
    pub page: Option<u32>,
    /// The region of `page` it is about; absent for the whole page.
    #[serde(default)]
    pub region: Option<CommentRegion>,
    /// 1 to [`MAX_COMMENT_CHARS`] characters once trimmed.
    pub text: String,
    /// Device clock, unix ms.
    pub written_at: i64,
}

/// Most pages a comment may point at (beyond any real meeting pack).
pub const MAX_COMMENT_PAGE: u32 = 100_000;

impl CommentBody {
    /// Why the comment cannot be kept, if it cannot: no text or too much,
    /// a page out of range, a region without a page or outside it. The
    /// device checks before queuing; the server refuses it as `malformed`.
    pub fn problem(&self) -> Option<&'static str> {
        let chars = self.text.trim().chars().count();
        if chars == 0 {
            return Some("the comment is empty");
        }
        if chars > MAX_COMMENT_CHARS {
            return Some("the comment is longer than 4000 characters");
        }
        if self.text.trim().lines().count() > MAX_COMMENT_LINES {
            return Some("the comment has more than 60 lines");
        }
        // Control characters (but line breaks and tabs) and the bidi
        // overrides that can make a text read otherwise than it is stored.
        let hidden = |c: char| {
            (c.is_control() && c != '\n' && c != '\t' && c != '\r')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        };
        if self.text.chars().any(hidden) {
            return Some("the comment holds control characters");
        }
        if self
            .page
            .is_some_and(|p| !(1..=MAX_COMMENT_PAGE).contains(&p))
        {
            return Some("the page number is out of range");
        }
        match (&self.region, self.page) {
            (Some(_), None) => Some("a region needs its page"),
            (Some(r), Some(_)) if !r.is_valid() => Some("the region is not inside the page"),
            _ => None,
        }
    }
}

/// Where the secretary has taken a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentStatus {
    /// Not answered yet.
    Open,
    /// Taken into the draft.
    Accepted,
    /// Explained in the reply.
    Answered,
    /// Not taken, with the reason in the reply.
    Declined,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Open => "open",
            CommentStatus::Accepted => "accepted",
            CommentStatus::Answered => "answered",
            CommentStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<CommentStatus> {
        [
            CommentStatus::Open,
            CommentStatus::Accepted,
            CommentStatus::Answered,
            CommentStatus::Declined,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A comment as the server holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DraftCommentBody {
    /// The operation id it was sent under.
    pub id: String,
    pub document_id: String,
    pub version_id: String,
    /// The version's number (1, 2, …).
    pub version: u32,
    pub author_id: String,
    pub author_name: String,
    pub page: Option<u32>,
    pub region: Option<CommentRegion>,
    pub text: String,
    /// Device clock, unix ms.
    pub written_at: i64,
    /// Server clock, unix ms.
    pub received_at: i64,
    pub status: CommentStatus,
    pub reply: Option<String>,
    pub replied_by_name: Option<String>,
    /// Server clock, unix ms.
    pub replied_at: Option<i64>,
}

/// `GET /v1/documents/{document_id}/comments`: the comments the caller may
/// read (the secretary and the chair: all; a member: their own, and the
/// others' too when the committee shares comments with members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DraftCommentsBody {
    pub document_id: String,
    /// Oldest first.
    pub comments: Vec<DraftCommentBody>,
    /// Whether the caller may answer them (secretary, chair).
    pub can_respond: bool,
    /// Whether members see each other's comments (a committee setting).
    pub shared_with_members: bool,
}

/// `PUT /v1/comments/{comment_id}/response` (secretary, chair): where the
/// comment was taken, with a reply (required to answer or decline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RespondToCommentRequest {
    pub status: CommentStatus,
    #[serde(default)]
    pub reply: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_lies_inside_its_page() {
        let r = |x, y, w, h| CommentRegion { x, y, w, h };
        assert!(r(0.1, 0.2, 0.5, 0.3).is_valid());
        assert!(r(0.0, 0.0, 1.0, 1.0).is_valid());
        assert!(!r(0.6, 0.2, 0.5, 0.3).is_valid(), "past the right edge");
        assert!(!r(0.1, 0.2, 0.0, 0.3).is_valid(), "no area");
        assert!(!r(-0.1, 0.2, 0.5, 0.3).is_valid());
        assert!(!r(f32::NAN, 0.2, 0.5, 0.3).is_valid());
    }

    #[test]
    fn statuses_keep_their_wire_names() {
        for s in ["open", "accepted", "answered", "declined"] {
            assert_eq!(CommentStatus::parse(s).map(CommentStatus::as_str), Some(s));
        }
        assert_eq!(CommentStatus::parse("done"), None);
    }
}
