//! A lost device: the person registers a new key from a new device
//! (`key_replaced`, signed by the new key — proof that they hold it), and
//! a member of the presidium other than that person approves it
//! (`key_replacement_approved`, signed by the approver). Only then does
//! the new key sign for the person; the old one signs nothing more; and
//! the new key never cosigns a round that closed before the approval (the
//! round's cosigners were fixed with the old key when it closed).
//!
//! Nobody registers or replaces another person's key: the organiser
//! cannot, and the approver only confirms the key the person sent.

use serde::Deserialize;
use serde_json::json;

use super::meeting::{parse_cosigner_key, SetKey};
use super::{Actor, Error, Reply, Role, Service};
use crate::log::event::Event;
use crate::store::{self, StoreError};

/// `POST …/people/{p}/key/approval`: the new key being approved, as the
/// person's `key_replaced` gives it (the approver reads it from the
/// person's new device and compares).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveKey {
    pub key: String,
}

fn db(e: rusqlite::Error) -> Error {
    Error::from(StoreError::from(e))
}

impl Service {
    /// The acting person asks for their key to be replaced by `req.key`,
    /// in an entry signed by the new key.
    pub fn replace_key(&self, actor: &Actor, person: &str, req: SetKey) -> Result<Reply, Error> {
        if actor.person != person {
            return Err(Error::forbidden(
                "not_own_person",
                "每个人只能在自己的新设备上为自己更换签名公钥",
                "each person replaces only their own key, from their own new device",
            ));
        }
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let p = store::meeting::person(&tx.tx, &meeting, person)?
                .ok_or_else(|| Error::not_found("人员", "person", person))?;
            let Some(old) = p.key.clone() else {
                return Err(Error::conflict(
                    "no_key_registered",
                    "您尚未登记签名公钥，请直接登记，无需更换",
                    "you have no key registered: register one, there is nothing to replace",
                ));
            };
            let vkey = parse_cosigner_key(&tx.tx, &meeting, Some(person), "key", &req.key)?;
            let key = vkey.to_string();
            if key == old {
                return Err(Error::invalid(
                    "key",
                    "新公钥与原公钥相同",
                    "the new key is the key already registered",
                ));
            }
            let entry = tx.log_with_new_key(
                actor.role,
                vkey.public_key().to_bytes(),
                &Event::KeyReplaced {
                    role: p.role.to_string(),
                    name: p.name.clone(),
                    key: key.clone(),
                    person: Some(p.id.clone()),
                },
            )?;
            store::replacement::insert(
                &tx.tx,
                &meeting,
                &store::replacement::Replacement {
                    person: p.id.clone(),
                    key: key.clone(),
                    old_key: old,
                    entry: entry.0,
                    approved: None,
                },
            )
            .map_err(db)?;
            Ok(json!({
                "person": p.id,
                "key": key,
                "fingerprint": crate::log::pins::fingerprint(&vkey.public_key().to_bytes()),
                "approved": false,
                "message_zh": "已提交更换签名公钥的申请，须经主席团另一成员批准后方可使用新公钥",
                "message_en": "the replacement is logged; the new key signs only once another member of the presidium approves it",
            }))
        })?;
        Ok(Reply::created(body).stamped(stamp))
    }

    /// A presidium member approves `person`'s pending replacement.
    pub fn approve_key(
        &self,
        actor: &Actor,
        person: &str,
        req: ApproveKey,
    ) -> Result<Reply, Error> {
        if actor.role != Role::Presidium {
            return Err(Error::forbidden(
                "presidium_only",
                "只有主席团成员可以批准更换签名公钥",
                "only a member of the presidium approves a key replacement",
            ));
        }
        if actor.person == person {
            return Err(Error::forbidden(
                "not_own_approval",
                "不能批准更换自己的签名公钥，须由主席团另一成员批准",
                "you cannot approve the replacement of your own key: another member of the presidium must",
            ));
        }
        let (body, stamp) = self.write_as(actor, |tx| {
            let meeting = actor.meeting.clone();
            let p = store::meeting::person(&tx.tx, &meeting, person)?
                .ok_or_else(|| Error::not_found("人员", "person", person))?;
            let Some(pending) = store::replacement::pending(&tx.tx, &meeting, person).map_err(db)?
            else {
                return Err(Error::conflict(
                    "no_replacement_pending",
                    format!("{} 没有待批准的签名公钥更换申请", p.name),
                    format!("{} has asked for no key replacement", p.name),
                ));
            };
            if pending.key != req.key.trim() {
                return Err(Error::conflict(
                    "replacement_key_differs",
                    "所批准的公钥与本人提交的新公钥不符，请在其新设备上核对公钥指纹",
                    "the key approved is not the new key the person sent: compare the fingerprint on their new device",
                )
                .at("key"));
            }
            let entry = tx.log(
                Some(actor.role),
                &Event::KeyReplacementApproved {
                    role: p.role.to_string(),
                    name: p.name.clone(),
                    key: pending.key.clone(),
                    by: actor.name.clone(),
                },
            )?;
            store::meeting::set_person_key(&tx.tx, &meeting, person, &pending.key)?;
            store::replacement::approve(&tx.tx, &meeting, person, &actor.name, entry.0)
                .map_err(db)?;
            Ok(json!({
                "person": p.id,
                "key": pending.key,
                "approved": true,
                "approved_by": actor.name,
                "entry": entry.0,
            }))
        })?;
        Ok(Reply::ok(body).stamped(stamp))
    }
}
