//! Sessions: random ids that reveal nothing without the server's secret, typed data, idle
//! and absolute lifetimes, one atomic round trip per operation.

use std::marker::PhantomData;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::hmac;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::cache::ttl_ms;
use super::client::{Client, Script, bad_reply};
use super::codec;
use super::observe;
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
static DELETE: LazyLock<Script> = session_script!("session delete", "session_delete.lua");
static DELETE_USER: LazyLock<Script> =
    session_script!("session delete all", "session_delete_user.lua");
static UPDATE: LazyLock<Script> = session_script!("session update", "session_update.lua");
static ROTATE: LazyLock<Script> = session_script!("session rotate", "session_rotate.lua");

/// The shortest secret [`SessionStore::new`] accepts, in bytes.
pub const MIN_SESSION_SECRET_LEN: usize = 32;

/// Session data that names the user it belongs to, so a store can list and delete a user's
/// sessions. Implement it for your own session data type.
pub trait SessionUser {
    /// The user the session belongs to; not empty, and the same for the session's whole
    /// life.
    fn user_id(&self) -> &str;
}

/// What a session records about its user and device, as in the seed. The default data of a
/// [`SessionStore`].
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

impl SessionUser for SessionData {
    fn user_id(&self) -> &str {
        &self.user_id
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session<D = SessionData> {
    /// The session id: 48 lowercase hex digits, of which 32 (128 bits) come from the
    /// operating system's CSPRNG and the other 16 name the user's hash, masked with a keyed
    /// hash of the random part. Without the store's secret nothing in it depends on the user,
    /// and two ids of one user share nothing. URL-safe.
    pub id: String,
    /// The user the session belongs to.
    pub user_id: String,
    /// The session's data.
    pub data: D,
    /// When it was created (server clock).
    pub created_at: SystemTime,
    /// When it was last marked seen (server clock). Reads mark it at most once every tenth
    /// of the idle lifetime, so it may lag the latest read by that much.
    pub last_seen_at: SystemTime,
    /// When it expires unless it is used again: the earlier of the idle and the absolute
    /// expiry.
    pub expires_at: SystemTime,
    /// When it expires however often it is used.
    pub absolute_expires_at: SystemTime,
}

/// Stores sessions in Redis.
///
/// All sessions of a user live in one hash whose hash tag is a keyed hash (HMAC-SHA256) of
/// the user id under the store's secret, so every operation is one script on one key:
/// atomic, one round trip, valid on a cluster. A session id carries that tag masked with a
/// keyed hash of the id's random part, so [`SessionStore::get`] finds the hash from the id
/// alone while, to anyone without the secret, the id is 192 random-looking bits: it does not
/// reveal its user and two ids of one user cannot be linked.
///
/// Every write first checks that the session is alive, so a deleted session never comes
/// back, and a rotation leaves the old id forwarding to the new one, so a logout with the
/// old id ends the session whichever of the two runs first.
///
/// Every process sharing the sessions needs the same secret; a store with another secret
/// does not find them (changing the secret logs everybody out).
///
/// Session data is any `Serialize + DeserializeOwned` type that names its user
/// ([`SessionUser`]); [`SessionData`], the seed's four fields, is the default.
///
/// ```no_run
/// use txova_db::redis::{Client, Config, SessionData, SessionStore};
///
/// # async fn run(secret: &[u8]) -> Result<(), txova_db::Error> {
/// let client = Client::new(Config::new("redis://127.0.0.1")).await?;
/// // At least 32 bytes from your secret store, the same in every process.
/// let sessions = SessionStore::new(client, secret)?;
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
pub struct SessionStore<D = SessionData> {
    client: Client,
    secret: hmac::Key,
    idle: Duration,
    absolute: Duration,
    data: PhantomData<fn() -> D>,
}

impl<D> Clone for SessionStore<D> {
    fn clone(&self) -> Self {
        SessionStore {
            client: self.client.clone(),
            secret: self.secret.clone(),
            idle: self.idle,
            absolute: self.absolute,
            data: PhantomData,
        }
    }
}

impl<D> std::fmt::Debug for SessionStore<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("client", &self.client)
            .field("idle", &self.idle)
            .field("absolute", &self.absolute)
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    /// A store of [`SessionData`] over `client`, keyed by `secret` (at least
    /// [`MIN_SESSION_SECRET_LEN`] bytes, such as 32 random bytes from your secret store);
    /// sessions expire after 7 days unused and 30 days in all. A shorter secret is an
    /// [`ErrorKind::Config`] error.
    pub fn new(client: Client, secret: impl AsRef<[u8]>) -> Result<SessionStore> {
        let secret = secret.as_ref();
        if secret.len() < MIN_SESSION_SECRET_LEN {
            return Err(Error::config(format!(
                "the session secret must be at least {MIN_SESSION_SECRET_LEN} bytes, got {}",
                secret.len()
            )));
        }
        Ok(SessionStore {
            client,
            secret: hmac::Key::new(hmac::HMAC_SHA256, secret),
            idle: Duration::from_secs(7 * 24 * 3600),
            absolute: Duration::from_secs(30 * 24 * 3600),
            data: PhantomData,
        })
    }
}

impl<D> SessionStore<D> {
    /// The same store holding session data of type `T` instead.
    #[must_use]
    pub fn with_data<T>(self) -> SessionStore<T> {
        SessionStore {
            client: self.client,
            secret: self.secret,
            idle: self.idle,
            absolute: self.absolute,
            data: PhantomData,
        }
    }

    /// Sets the idle lifetime (a session not read for this long expires) and the absolute
    /// lifetime (a session expires this long after creation, however often it is used).
    pub fn lifetimes(mut self, idle: Duration, absolute: Duration) -> Result<SessionStore<D>> {
        ttl_ms(idle)?;
        ttl_ms(absolute)?;
        self.idle = idle;
        self.absolute = absolute;
        Ok(self)
    }

    /// The live sessions' hash key for `user_id`.
    fn user_key(&self, user_id: &str) -> String {
        self.key(self.user_tag(user_id))
    }

    fn key(&self, tag: [u8; 8]) -> String {
        self.client
            .prefixed(&format!("session:{{{}}}", hex(tag.as_slice())))
    }

    /// The keyed hash of the user id naming the user's hash.
    fn user_tag(&self, user_id: &str) -> [u8; 8] {
        self.prf(b"user\0", user_id.as_bytes())
    }

    fn prf(&self, domain: &[u8], input: &[u8]) -> [u8; 8] {
        let mut ctx = hmac::Context::with_key(&self.secret);
        ctx.update(domain);
        ctx.update(input);
        let tag = ctx.sign();
        let mut out = [0u8; 8];
        out.copy_from_slice(&tag.as_ref()[..8]);
        out
    }

    /// A new id for a session of the user whose tag is `tag`.
    fn new_id(&self, tag: [u8; 8]) -> Result<String> {
        let random = super::random_hex(16)?;
        let pad = self.prf(b"id\0", random.as_bytes());
        let mut masked = [0u8; 8];
        for (m, (t, p)) in masked.iter_mut().zip(tag.iter().zip(pad)) {
            *m = t ^ p;
        }
        Ok(random + &hex(&masked))
    }

    /// The user tag session `id` carries; a malformed id is an [`ErrorKind::InvalidInput`]
    /// error.
    fn id_tag(&self, id: &str) -> Result<[u8; 8]> {
        let (random, masked) = split_id(id)?;
        let pad = self.prf(b"id\0", random.as_bytes());
        let mut tag = [0u8; 8];
        for (t, (m, p)) in tag.iter_mut().zip(masked.iter().zip(pad)) {
            *t = m ^ p;
        }
        Ok(tag)
    }

    /// The hash key of session `id`.
    fn id_key(&self, id: &str) -> Result<String> {
        Ok(self.key(self.id_tag(id)?))
    }

    /// Deletes session `id`; whether a live session was ended. A client still holding an
    /// id that [`SessionStore::rotate`] replaced ends the session under its new id too.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        observed("delete", async {
            let key = self.id_key(id)?;
            let n: i64 = self
                .client
                .run_script(&DELETE, &[&key], &[id.as_bytes()])
                .await?;
            Ok(n > 0)
        })
        .await
    }

    /// Deletes every session of `user_id`; how many live sessions there were.
    pub async fn delete_all_for_user(&self, user_id: &str) -> Result<u64> {
        observed("delete_all_for_user", async {
            check_user(user_id)?;
            self.client
                .run_script(
                    &DELETE_USER,
                    &[&self.user_key(user_id)],
                    &[user_id.as_bytes()],
                )
                .await
        })
        .await
    }
}

impl<D> SessionStore<D>
where
    D: Serialize + DeserializeOwned + SessionUser,
{
    /// Creates a session with a new random id.
    pub async fn create(&self, data: D) -> Result<Session<D>> {
        let session = observed("create", self.create_inner(data)).await?;
        observe::count(observe::SESSIONS_CREATED, 1);
        Ok(session)
    }

    async fn create_inner(&self, data: D) -> Result<Session<D>> {
        let user_id = data.user_id();
        check_user(user_id)?;
        let tag = self.user_tag(user_id);
        let id = self.new_id(tag)?;
        let json = codec::encode(&data)?;
        let stored: Vec<u8> = self
            .client
            .run_script(
                &CREATE,
                &[&self.key(tag)],
                &[
                    id.as_bytes(),
                    user_id.as_bytes(),
                    ttl_ms(self.idle)?.to_string().as_bytes(),
                    ttl_ms(self.absolute)?.to_string().as_bytes(),
                    &json,
                ],
            )
            .await?;
        // The data just written need not be decoded again.
        parse_with(id, &stored, &CREATE, |_| Ok(data))
    }

    /// The live session `id`, marking it used now (which pushes its idle expiry back). The
    /// mark is written only when the last one is more than a tenth of the idle lifetime old,
    /// so most reads write nothing. `None` if it does not exist, expired, was deleted or was
    /// rotated to a new id.
    pub async fn get(&self, id: &str) -> Result<Option<Session<D>>> {
        observed("get", async {
            let key = self.id_key(id)?;
            let stored: redis::Value = self
                .client
                .run_script(&GET, &[&key], &[id.as_bytes()])
                .await?;
            let found = match stored {
                redis::Value::Nil => None,
                redis::Value::Int(0) => {
                    observe::count(observe::SESSIONS_EXPIRED, 1);
                    #[cfg(feature = "instrument")]
                    tracing::Span::current().record("session.expired", true);
                    None
                }
                redis::Value::BulkString(v) => Some(parse_session(id.to_owned(), &v, &GET)?),
                _ => return Err(bad_reply(&GET)),
            };
            #[cfg(feature = "instrument")]
            tracing::Span::current().record("session.found", found.is_some());
            Ok(found)
        })
        .await
    }

    /// The live sessions of `user_id`, oldest first; expired ones are dropped.
    pub async fn list_by_user(&self, user_id: &str) -> Result<Vec<Session<D>>> {
        observed("list_by_user", self.list_inner(user_id)).await
    }

    async fn list_inner(&self, user_id: &str) -> Result<Vec<Session<D>>> {
        check_user(user_id)?;
        let reply: Vec<Vec<u8>> = self
            .client
            .run_script(&LIST, &[&self.user_key(user_id)], &[user_id.as_bytes()])
            .await?;
        let mut out = Vec::with_capacity(reply.len() / 2);
        for pair in reply.chunks(2) {
            let [id, value] = pair else {
                return Err(bad_reply(&LIST));
            };
            let id = String::from_utf8(id.clone()).map_err(|_| bad_reply(&LIST))?;
            out.push(parse_session(id, value, &LIST)?);
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Replaces the data of live session `id`. The user cannot change. Whether the session
    /// was alive (a deleted or expired session is not written).
    pub async fn update(&self, id: &str, data: &D) -> Result<bool> {
        observed("update", self.update_inner(id, data)).await
    }

    async fn update_inner(&self, id: &str, data: &D) -> Result<bool> {
        let key = self.id_key(id)?;
        let user_id = data.user_id();
        check_user(user_id)?;
        let json = codec::encode(data)?;
        let n: i64 = self
            .client
            .run_script(
                &UPDATE,
                &[&key],
                &[id.as_bytes(), &json, user_id.as_bytes()],
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
    /// returns it; the old id stops working, except that deleting it still ends the session.
    /// `None` if the session is not alive.
    pub async fn rotate(&self, id: &str) -> Result<Option<Session<D>>> {
        observed("rotate", self.rotate_inner(id)).await
    }

    async fn rotate_inner(&self, id: &str) -> Result<Option<Session<D>>> {
        let tag = self.id_tag(id)?;
        let new_id = self.new_id(tag)?;
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
            Some(v) => parse_session(new_id, &v, &ROTATE).map(Some),
        }
    }
}

/// Runs one session operation in its span (see [`observe`]).
async fn observed<T>(
    #[cfg_attr(
        not(feature = "instrument"),
        allow(unused_variables, reason = "read by the instrumentation only")
    )]
    op: &'static str,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    #[cfg(feature = "instrument")]
    {
        let span = observe::session_span(op);
        let r = tracing::Instrument::instrument(fut, span.clone()).await;
        if let Err(e) = &r {
            observe::record_error(&span, e);
        }
        r
    }
    #[cfg(not(feature = "instrument"))]
    fut.await
}

fn check_user(user_id: &str) -> Result<()> {
    super::key::check_value("session user id", user_id)
}

/// The random part of a session id and its masked tag; a malformed id is an
/// [`ErrorKind::InvalidInput`] error.
pub(crate) fn split_id(id: &str) -> Result<(&str, [u8; 8])> {
    let malformed = || {
        Error::new(
            ErrorKind::InvalidInput,
            "malformed session id: expected 48 lowercase hex digits",
        )
    };
    if id.len() != 48 {
        return Err(malformed());
    }
    let mut masked = [0u8; 8];
    for (i, out) in masked.iter_mut().enumerate() {
        let pair = &id.as_bytes()[32 + 2 * i..34 + 2 * i];
        *out = (nibble(pair[0]).ok_or_else(malformed)? << 4)
            | nibble(pair[1]).ok_or_else(malformed)?;
    }
    if !id.as_bytes()[..32].iter().all(|b| nibble(*b).is_some()) {
        return Err(malformed());
    }
    Ok((&id[..32], masked))
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(super::HEX[usize::from(b >> 4)]));
        out.push(char::from(super::HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Reads `seen:absolute:created:idle:userlen:` followed by the user id and the JSON data. A
/// reply of another shape is a [`ErrorKind::Decode`] error naming the script; data that
/// does not decode as `D` is a [`ErrorKind::Decode`] error with the serde error as its
/// source.
fn parse_session<D: DeserializeOwned>(
    id: String,
    stored: &[u8],
    script: &Script,
) -> Result<Session<D>> {
    parse_with(id, stored, script, |json| {
        codec::decode(json).map_err(|e| {
            e.context(format_args!(
                "session data does not decode as {}",
                std::any::type_name::<D>()
            ))
        })
    })
}

/// As [`parse_session`], with the data from `data` (given the stored JSON).
fn parse_with<D>(
    id: String,
    stored: &[u8],
    script: &Script,
    data: impl FnOnce(&[u8]) -> Result<D>,
) -> Result<Session<D>> {
    let mut parts = stored.splitn(6, |b| *b == b':');
    let mut num = || -> Option<u64> { std::str::from_utf8(parts.next()?).ok()?.parse().ok() };
    let (Some(seen), Some(absolute), Some(created), Some(idle), Some(user_len)) =
        (num(), num(), num(), num(), num())
    else {
        return Err(bad_reply(script));
    };
    let rest = parts.next().ok_or_else(|| bad_reply(script))?;
    let user_len = usize::try_from(user_len).map_err(|_| bad_reply(script))?;
    if rest.len() < user_len {
        return Err(bad_reply(script));
    }
    let (user, json) = rest.split_at(user_len);
    let user_id = String::from_utf8(user.to_vec()).map_err(|_| bad_reply(script))?;
    let data = data(json)?;
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    Ok(Session {
        id,
        user_id,
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
        assert!(split_id("").is_err());
        assert!(split_id(&"A".repeat(48)).is_err());
        assert!(split_id(&"a".repeat(47)).is_err());
        assert!(split_id(&format!("{}g{}", "a".repeat(20), "a".repeat(27))).is_err());
        let id = "ab".repeat(24);
        let (random, masked) = split_id(&id).unwrap();
        assert_eq!(random, "ab".repeat(16));
        assert_eq!(masked, [0xab; 8]);
    }

    #[test]
    fn stored_values_parse() {
        let s: Session = parse_session(
            "x".into(),
            br#"2000:9000:1000:500:1:u{"user_id":"u","device_id":"d","device_info":"i","ip_address":"::1"}"#,
            &GET,
        )
        .unwrap();
        assert_eq!(s.expires_at, UNIX_EPOCH + Duration::from_millis(2500));
        assert_eq!(s.data.ip_address, "::1");
        assert_eq!(s.user_id, "u");
        for bad in [&b"1:2:3"[..], b"1:2:3:4:9:u{}"] {
            let e = parse_session::<SessionData>("x".into(), bad, &GET).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode);
        }
        let e = parse_session::<SessionData>("x".into(), b"1:2:3:4:1:u[1]", &GET).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }
}
