/// What a person may do in one committee. A user can hold different roles in
/// different committees; administration is a separate, global flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reads the board pack, annotates, votes, asks to speak.
    Member,
    /// Builds meetings: agenda, documents, invitations, publication.
    Secretary,
    /// Runs the session: agenda progress, motions, the speaker queue.
    Chair,
}

impl Role {
    /// Every role, in order of increasing authority.
    pub const ALL: [Role; 3] = [Role::Member, Role::Secretary, Role::Chair];

    /// The stable name used on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Secretary => "secretary",
            Role::Chair => "chair",
        }
    }

    /// Parses the stable name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may prepare meetings (agenda, documents, publication).
    pub fn can_prepare_meetings(self) -> bool {
        matches!(self, Role::Secretary | Role::Chair)
    }

    /// Whether this role may run a session (open and close motions, give the floor).
    pub fn can_chair(self) -> bool {
        matches!(self, Role::Chair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_rejected() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Role::parse("Member"), None);
    }

    #[test]
    fn only_the_chair_runs_a_session() {
        let chairs: Vec<Role> = Role::ALL.into_iter().filter(|r| r.can_chair()).collect();
        assert_eq!(chairs, vec![Role::Chair]);
        assert!(!Role::Member.can_prepare_meetings());
        assert!(Role::Secretary.can_prepare_meetings());
    }
}
