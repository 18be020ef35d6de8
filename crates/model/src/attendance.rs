//! Attendance (điểm danh): who is present, online, or absent and why.

use std::collections::BTreeMap;

use crate::ids::{MemberId, OpId};

/// A member's attendance at a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Presence {
    InRoom,
    /// Taking part remotely; counts as present for quorum and majorities.
    Online,
    Absent {
        reason: String,
    },
}

impl Presence {
    pub fn is_present(&self) -> bool {
        matches!(self, Presence::InRoom | Presence::Online)
    }
}

/// Who recorded a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkedBy {
    /// The member checked in on their own device.
    Member,
    Chair,
}

/// One check-in or chair's mark; an outbox operation like a ballot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttendanceMark {
    pub op_id: OpId,
    pub member_id: MemberId,
    pub presence: Presence,
    /// Server time of the mark (a device's check-in corrected by its clock offset).
    pub at: i64,
    pub by: MarkedBy,
}

impl AttendanceMark {
    /// The order marks compete in: any chair's mark above any check-in, then
    /// the later time, then the greater op id.
    fn rank(&self) -> (bool, i64, &OpId) {
        (self.by == MarkedBy::Chair, self.at, &self.op_id)
    }
}

/// The current attendance of a meeting: per member, the chair's latest mark
/// if the chair marked them, else their own latest check-in; "latest" by
/// `(at, op_id)`. Applying marks is idempotent and order-independent (a
/// last-writer-wins register per member over that order), so offline
/// check-ins can arrive in any order. A member's check-in never overrides the
/// chair's mark: presence feeds quorum, and the chair answers for the room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attendance {
    marks: BTreeMap<MemberId, AttendanceMark>,
}

impl Attendance {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a mark; returns whether it is now the member's current one.
    pub fn apply(&mut self, mark: AttendanceMark) -> bool {
        if let Some(current) = self.marks.get(&mark.member_id) {
            if current.rank() >= mark.rank() {
                return false;
            }
        }
        self.marks.insert(mark.member_id.clone(), mark);
        true
    }

    pub fn presence(&self, member: &MemberId) -> Option<&Presence> {
        self.marks.get(member).map(|m| &m.presence)
    }

    pub fn is_present(&self, member: &MemberId) -> bool {
        self.presence(member).is_some_and(Presence::is_present)
    }

    /// Every member's current mark.
    pub fn marks(&self) -> impl Iterator<Item = &AttendanceMark> {
        self.marks.values()
    }
}
