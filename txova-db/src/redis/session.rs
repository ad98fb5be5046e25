//! Sessions: random ids, idle and absolute lifetimes, one atomic round trip per operation.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::cache::ttl_ms;
use super::client::{Client, Script, bad_reply};
use super::codec;
use crate::error::{Error, ErrorKind, Result};

macro_rules! session_script {
    ($name:literal, $file:literal) => {
        LazyLock::new(|| {
            Script::new(
                $name,
                concat!(
                    include_str!("scripts/session_common.lua"),
                    include_str!(concat!("scripts/", $file))
                ),
            )
        })
    };
}

static CREATE: LazyLock<Script> = session_script!("session create", "session_create.lua");
static GET: LazyLock<Script> = session_script!("session get", "session_get.lua");
static LIST: LazyLock<Script> = session_script!("session list", "session_list.lua");
static DELETE_USER: LazyLock<Script> =
    session_script!("session delete all", "session_delete_user.lua");
static UPDATE: LazyLock<Script> = session_script!("session update", "session_update.lua");
static ROTATE: LazyLock<Script> = session_script!("session rotate", "session_rotate.lua");

/// What a session records about its user and device, as in the seed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData {
    /// The user the session belongs to; not empty.
    pub user_id: String,
    /// The device's id.
    pub device_id: String,
    /// A description of the device, such as `"iPhone 15, iOS 18"`.
    pub device_info: String,
    /// The client's IP address.
    pub ip_address: String,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// The session id: 48 lowercase hex digits, of which 32 (128 bits) come from the
    /// operating system's CSPRNG. URL-safe.
    pub id: String,
    /// The session's data.
    pub data: SessionData,
    /// When it was created (server clock).
    pub created_at: SystemTime,
    /// When it was last read or created (server clock).
    pub last_seen_at: SystemTime,
    /// When it expires unless it is used again: the earlier of the idle and the absolute
    /// expiry.
    pub expires_at: SystemTime,
    /// When it expires however often it is used.
    pub absolute_expires_at: SystemTime,
}

/// Stores sessions in Redis.
///
/// All sessions of a user live in one hash whose hash tag is derived from the user id, so
/// every operation is one script on one key: atomic, one round trip, valid on a cluster. A
/// session's id ends with that tag, so [`SessionStore::get`] finds it from the id alone.
/// Every write first checks that the session is alive, so a deleted session never comes
/// back.
///
/// ```no_run
/// use txova_db::redis::{Client, Config, SessionData, SessionStore};
///
/// # async fn run() -> Result<(), txova_db::Error> {
/// let sessions = SessionStore::new(Client::new(Config::new("redis://127.0.0.1")).await?);
/// let session = sessions
///     .create(SessionData {
///         user_id: "user-1".into(),
///         device_id: "device-9".into(),
///         device_info: "iPhone 15, iOS 18".into(),
///         ip_address: "198.51.100.7".into(),
///     })
///     .await?;
/// let again = sessions.get(&session.id).await?;
/// assert!(again.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SessionStore {
    client: Client,
    idle: Duration,
    absolute: Duration,
}

impl SessionStore {
    /// A store over `client`; sessions expire after 7 days unused and 30 days in all.
    #[must_use]
    pub fn new(client: Client) -> SessionStore {
        SessionStore {
            client,
            idle: Duration::from_secs(7 * 24 * 3600),
            absolute: Duration::from_secs(30 * 24 * 3600),
        }
    }

    /// Sets the idle lifetime (a session not read for this long expires) and the absolute
    /// lifetime (a session expires this long after creation, however often it is used).
    pub fn lifetimes(mut self, idle: Duration, absolute: Duration) -> Result<SessionStore> {
        ttl_ms(idle)?;
        ttl_ms(absolute)?;
        self.idle = idle;
        self.absolute = absolute;
        Ok(self)
    }

    /// Creates a session with a new random id.
    pub async fn create(&self, data: SessionData) -> Result<Session> {
        check_user(&data.user_id)?;
        let tag = user_tag(&data.user_id);
        let id = format!("{}{tag}", super::random_hex(16)?);
        let json = codec::encode(&data)?;
        let stored: Vec<u8> = self
            .client
            .run_script(
                &CREATE,
                &[&self.key(&tag)],
                &[
                    id.as_bytes(),
                    ttl_ms(self.idle)?.to_string().as_bytes(),
                    ttl_ms(self.absolute)?.to_string().as_bytes(),
                    &json,
                ],
            )
            .await?;
        parse_session(id, &stored).ok_or_else(|| bad_reply(&CREATE))
    }

    /// The live session `id`, marking it used now (which pushes its idle expiry back).
    /// `None` if it does not exist, expired or was deleted.
    pub async fn get(&self, id: &str) -> Result<Option<Session>> {
        let tag = id_tag(id)?;
        let stored: Option<Vec<u8>> = self
            .client
            .run_script(&GET, &[&self.key(tag)], &[id.as_bytes()])
            .await?;
        match stored {
            None => Ok(None),
            Some(v) => parse_session(id.to_owned(), &v)
                .map(Some)
                .ok_or_else(|| bad_reply(&GET)),
        }
    }

    /// The live sessions of `user_id`, oldest first; expired ones are dropped.
    pub async fn list_by_user(&self, user_id: &str) -> Result<Vec<Session>> {
        check_user(user_id)?;
        let reply: Vec<Vec<u8>> = self
            .client
            .run_script(
                &LIST,
                &[&self.key(&user_tag(user_id))],
                &[user_id.as_bytes()],
            )
            .await?;
        let mut out = Vec::with_capacity(reply.len() / 2);
        for pair in reply.chunks(2) {
            let [id, value] = pair else {
                return Err(bad_reply(&LIST));
            };
            let id = String::from_utf8(id.clone()).map_err(|_| bad_reply(&LIST))?;
            out.push(parse_session(id, value).ok_or_else(|| bad_reply(&LIST))?);
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Deletes session `id`; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        let tag = id_tag(id)?;
        let n: i64 = self
            .client
            .query(redis::cmd("HDEL").arg(self.key(tag)).arg(id))
            .await?;
        Ok(n > 0)
    }

    /// Deletes every session of `user_id`; how many live sessions there were.
    pub async fn delete_all_for_user(&self, user_id: &str) -> Result<u64> {
        check_user(user_id)?;
        self.client
            .run_script(
                &DELETE_USER,
                &[&self.key(&user_tag(user_id))],
                &[user_id.as_bytes()],
            )
            .await
    }

    /// Replaces the data of live session `id`. The user cannot change. Whether the session
    /// was alive (a deleted or expired session is not written).
    pub async fn update(&self, id: &str, data: &SessionData) -> Result<bool> {
        let tag = id_tag(id)?;
        check_user(&data.user_id)?;
        let json = codec::encode(data)?;
        let n: i64 = self
            .client
            .run_script(
                &UPDATE,
                &[&self.key(tag)],
                &[id.as_bytes(), &json, data.user_id.as_bytes()],
            )
            .await?;
        match n {
            1 => Ok(true),
            0 => Ok(false),
            _ => Err(Error::invalid_input(
                "a session cannot be moved to another user; create a new one",
            )),
        }
    }

    /// Gives live session `id` a new random id (after a login or a privilege change) and
    /// returns it; the old id stops working. `None` if the session is not alive.
    pub async fn rotate(&self, id: &str) -> Result<Option<Session>> {
        let tag = id_tag(id)?;
        let new_id = format!("{}{tag}", super::random_hex(16)?);
        let stored: Option<Vec<u8>> = self
            .client
            .run_script(
                &ROTATE,
                &[&self.key(tag)],
                &[id.as_bytes(), new_id.as_bytes()],
            )
            .await?;
        match stored {
            None => Ok(None),
            Some(v) => parse_session(new_id, &v)
                .map(Some)
                .ok_or_else(|| bad_reply(&ROTATE)),
        }
    }

    fn key(&self, tag: &str) -> String {
        self.client.prefixed(&format!("session:{{{tag}}}"))
    }
}

fn check_user(user_id: &str) -> Result<()> {
    super::key::check_value("session user id", user_id)
}

/// The last 16 hex digits of a session id, naming its user's hash; a malformed id is an
/// [`ErrorKind::InvalidInput`] error.
fn id_tag(id: &str) -> Result<&str> {
    if id.len() != 48
        || !id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "malformed session id: expected 48 lowercase hex digits",
        ));
    }
    Ok(&id[32..])
}

/// FNV-1a (64 bits) of the user id as 16 hex digits: stable across processes, versions and
/// languages, so every service finds a user's sessions under the same key.
fn user_tag(user_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in user_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Reads `seen:absolute:created:idle:json`.
fn parse_session(id: String, stored: &[u8]) -> Option<Session> {
    let mut parts = stored.splitn(5, |b| *b == b':');
    let mut num = || -> Option<u64> { std::str::from_utf8(parts.next()?).ok()?.parse().ok() };
    let seen = num()?;
    let absolute = num()?;
    let created = num()?;
    let idle = num()?;
    let data: SessionData = codec::decode(parts.next()?).ok()?;
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    Some(Session {
        id,
        data,
        created_at: at(created),
        last_seen_at: at(seen),
        expires_at: at(seen.saturating_add(idle).min(absolute)),
        absolute_expires_at: at(absolute),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(id_tag("").is_err());
        assert!(id_tag(&"A".repeat(48)).is_err());
        assert!(id_tag(&"a".repeat(47)).is_err());
        assert_eq!(id_tag(&"ab".repeat(24)).unwrap(), "abababababababab");
    }

    #[test]
    fn user_tag_is_fnv1a() {
        assert_eq!(user_tag(""), "cbf29ce484222325");
        assert_eq!(user_tag("a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn stored_values_parse() {
        let s = parse_session(
            "x".into(),
            br#"2000:9000:1000:500:{"user_id":"u","device_id":"d","device_info":"i","ip_address":"::1"}"#,
        )
        .unwrap();
        assert_eq!(s.expires_at, UNIX_EPOCH + Duration::from_millis(2500));
        assert_eq!(s.data.ip_address, "::1");
        assert!(parse_session("x".into(), b"1:2:3").is_none());
    }
}
