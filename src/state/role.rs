//! The roles of a meeting (docs/api.md, "Roles") and the one rule of who
//! sees a round's result.
//!
//! A person holds one role for the whole meeting: roles do not move. What
//! a role may see moves with the round (announced or not, a list round or
//! not), and that rule is [`may_see_result`]:
//!
//! | role | sees a result |
//! |---|---|
//! | presidium, auditor | always |
//! | scrutineer | of the elections they are assigned to |
//! | counter | never (only their own entries) |
//! | organiser, display | once announced; never of a list round |

/// A role in a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Organiser,
    Counter,
    Scrutineer,
    Presidium,
    Auditor,
    Display,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Organiser,
        Role::Counter,
        Role::Scrutineer,
        Role::Presidium,
        Role::Auditor,
        Role::Display,
    ];
}

/// Why a result is hidden from a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// A scrutineer of another election.
    NotAssigned,
    /// Counters see only their own entries.
    Counter,
    /// Nomination, evaluation and preliminary results go to the presidium
    /// only.
    ListRound,
    /// The presidium has not announced it.
    NotAnnounced,
}

/// Who may see a round's result (final or partial), and when: the one rule
/// behind `GET …/result`, `GET …/statement`, the `result` of `GET
/// …/rounds/{r}`, an election's result and the `tally` events of the live
/// stream. `assigned`: the caller is assigned to the round's election.
pub fn may_see_result(
    role: Role,
    assigned: bool,
    announced: bool,
    list_round: bool,
) -> Result<(), Hidden> {
    match role {
        Role::Presidium | Role::Auditor => Ok(()),
        Role::Scrutineer if assigned => Ok(()),
        Role::Scrutineer => Err(Hidden::NotAssigned),
        Role::Counter => Err(Hidden::Counter),
        Role::Organiser | Role::Display if list_round => Err(Hidden::ListRound),
        Role::Organiser | Role::Display if announced => Ok(()),
        Role::Organiser | Role::Display => Err(Hidden::NotAnnounced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every role × assigned, over (announced, list round) =
    /// (no, no), (yes, no), (no, yes), (yes, yes).
    #[test]
    fn who_sees_a_result() {
        use Hidden::*;
        const OK: Result<(), Hidden> = Ok(());
        type Row = (Role, bool, [Result<(), Hidden>; 4]);
        #[rustfmt::skip]
        let table: &[Row] = &[
            (Role::Presidium,  false, [OK, OK, OK, OK]),
            (Role::Presidium,  true,  [OK, OK, OK, OK]),
            (Role::Auditor,    false, [OK, OK, OK, OK]),
            (Role::Auditor,    true,  [OK, OK, OK, OK]),
            (Role::Scrutineer, true,  [OK, OK, OK, OK]),
            (Role::Scrutineer, false, [Err(NotAssigned); 4]),
            (Role::Counter,    false, [Err(Counter); 4]),
            (Role::Counter,    true,  [Err(Counter); 4]),
            (Role::Organiser,  false, [Err(NotAnnounced), OK, Err(ListRound), Err(ListRound)]),
            (Role::Organiser,  true,  [Err(NotAnnounced), OK, Err(ListRound), Err(ListRound)]),
            (Role::Display,    false, [Err(NotAnnounced), OK, Err(ListRound), Err(ListRound)]),
            (Role::Display,    true,  [Err(NotAnnounced), OK, Err(ListRound), Err(ListRound)]),
        ];
        assert_eq!(table.len(), Role::ALL.len() * 2);
        let cases = [(false, false), (true, false), (false, true), (true, true)];
        for &(role, assigned, row) in table {
            for ((announced, list_round), want) in cases.into_iter().zip(row) {
                assert_eq!(
                    may_see_result(role, assigned, announced, list_round),
                    want,
                    "{role:?} assigned={assigned} announced={announced} list={list_round}"
                );
            }
        }
    }
}
