//! Typed cache keys: a key that knows the type of the value stored under it.

use std::fmt::{self, Display, Write as _};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use crate::error::{Error, Result};

/// A Redis key that carries the type `T` of the value stored under it, so that
/// [`Cache::get`](super::Cache::get) returns `Option<T>` without an annotation and a key of
/// one type cannot be used to read a value of another.
///
/// Keys are usually made by functions that [`cache_keys!`](crate::cache_keys) declares from
/// a template, which escapes every parameter value: `%`, `:`, `{` and `}` in a value become
/// `%25`, `%3A`, `%7B` and `%7D`, so a value can never add a segment or a hash tag, and two
/// different parameter lists never give the same key.
///
/// Every segment follows the one key rule of [`txova_db_core::key`]: not empty, no
/// whitespace or control characters. A template's fixed segments are checked at compile
/// time; a parameter value that breaks the rule (an empty string, a space, a newline) makes
/// a key that every [`Cache`](super::Cache) operation refuses with an
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error, before anything is
/// sent; [`CacheKey::check`] says so up front.
///
/// ```
/// use txova_db::redis::CacheKey;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Pricing { base: u32 }
///
/// txova_db::cache_keys! {
///     /// The pricing of one city.
///     pub fn pricing(city: &str) -> Pricing = "pricing:config:{city}";
/// }
///
/// let key: CacheKey<Pricing> = pricing("maputo");
/// assert_eq!(key.as_str(), "pricing:config:maputo");
/// assert_eq!(pricing("a:b").as_str(), "pricing:config:a%3Ab");
/// ```
pub struct CacheKey<T> {
    key: String,
    /// Why a parameter value broke the key rule, for the operations to refuse the key.
    invalid: Option<Box<str>>,
    /// The template the key was made from, with `{}` for each parameter.
    template: Option<Template>,
    value: PhantomData<fn() -> T>,
}

/// The template of a key, known at compile time: what spans and logs record instead of the
/// key, whose parameters may identify someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Template {
    /// The whole template, such as `user:profile:{}` (from `cache_keys!`).
    Whole(&'static str),
    /// A [`CacheEntity::CACHE_PREFIX`] followed by `:{}`.
    Entity(&'static str),
}

impl Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Template::Whole(t) => f.write_str(t),
            Template::Entity(prefix) => write!(f, "{prefix}:{{}}"),
        }
    }
}

impl<T> CacheKey<T> {
    /// A key from a string written by hand. It must be at least two segments separated by
    /// `:`, none of them empty, and contain neither `{`, `}` nor whitespace or control
    /// characters (the key rule of [`txova_db_core::key`]).
    pub fn parse(key: impl Into<String>) -> Result<CacheKey<T>> {
        let key = key.into();
        check_key("cache key", &key)?;
        if !key.contains(':') {
            return Err(Error::invalid_input(format!(
                "cache key {key:?} has one segment; write it as `service:entity:id`"
            )));
        }
        Ok(CacheKey {
            key,
            invalid: None,
            template: None,
            value: PhantomData,
        })
    }

    /// The template the key was made from, each parameter written `{}`: `user:profile:{}`
    /// for a key of `cache_keys!` declared as `"user:profile:{id}"`, `user:profile:{}` for
    /// [`CacheEntity::cache_key`] with the prefix `user:profile`. `None` for a key made by
    /// [`CacheKey::parse`]. Spans and logs record this instead of the key unless
    /// [`Config::record_full_keys`](super::Config::record_full_keys) says otherwise.
    #[must_use]
    pub fn template(&self) -> Option<std::borrow::Cow<'static, str>> {
        match self.template? {
            Template::Whole(t) => Some(std::borrow::Cow::Borrowed(t)),
            t @ Template::Entity(_) => Some(std::borrow::Cow::Owned(t.to_string())),
        }
    }

    /// What spans and logs may show of this key: the whole key when the client records full
    /// keys, else its template when it has one.
    pub(crate) fn label(&self, full: bool) -> Option<KeyLabel<'_>> {
        if full {
            Some(KeyLabel::Full(&self.key))
        } else {
            self.template.map(KeyLabel::Template)
        }
    }

    /// Whether the key follows the key rule: an [`ErrorKind::InvalidInput`] error naming the
    /// parameter whose value broke it. Every [`Cache`](super::Cache) operation checks this
    /// first.
    ///
    /// [`ErrorKind::InvalidInput`]: crate::ErrorKind::InvalidInput
    pub fn check(&self) -> Result<()> {
        match &self.invalid {
            None => Ok(()),
            Some(why) => Err(Error::invalid_input(why.to_string())),
        }
    }

    /// The key as written to Redis (without the client's prefix).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// For a list key (`{service}:{entity}:list:{params}`), the part up to and including
    /// `list:`; pass it to [`Cache::invalidate_list`](super::Cache::invalidate_list) to drop
    /// every list of that entity.
    #[must_use]
    pub fn list_prefix(&self) -> Option<&str> {
        let mut offset = 0;
        for segment in self.key.split(':') {
            offset += segment.len() + 1;
            if segment == "list" && offset <= self.key.len() {
                return Some(&self.key[..offset]);
            }
        }
        None
    }

    /// Turns the key into its string.
    #[must_use]
    pub fn into_string(self) -> String {
        self.key
    }
}

/// A key as spans and logs record it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyLabel<'a> {
    /// Its template.
    Template(Template),
    /// The key itself, when the client was told to record full keys.
    Full(&'a str),
}

impl Display for KeyLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyLabel::Template(t) => t.fmt(f),
            KeyLabel::Full(k) => f.write_str(k),
        }
    }
}

/// Checks a value that is escaped or hashed into one segment (a session's user id) against
/// the one key rule; `what` names it in the error.
pub(crate) fn check_value(what: &str, value: &str) -> Result<()> {
    txova_db_core::key::check_value(value).map_err(|why| {
        let why = match why {
            txova_db_core::key::Violation::Empty => "it is empty".to_owned(),
            why => why.to_string(),
        };
        Error::invalid_input(format!("{what} {value:?} breaks the key rule: {why}"))
    })
}

/// Checks a key given at run time (a lock, rate-limit or cache key, a session's user id)
/// against the one key rule; `what` names it in the error.
pub(crate) fn check_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid_input(format!("a {what} may not be empty")));
    }
    txova_db_core::key::check_key(key).map_err(|why| {
        Error::invalid_input(format!(
            "{what} {key:?} breaks the key rule: {why}; segments are separated by one `:` and hold no whitespace, control characters, `{{` or `}}`"
        ))
    })
}

impl<T> Clone for CacheKey<T> {
    fn clone(&self) -> Self {
        CacheKey {
            key: self.key.clone(),
            invalid: self.invalid.clone(),
            template: self.template,
            value: PhantomData,
        }
    }
}

impl<T> fmt::Debug for CacheKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CacheKey").field(&self.key).finish()
    }
}

impl<T> Display for CacheKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

impl<T> PartialEq for CacheKey<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<T> Eq for CacheKey<T> {}

impl<T> Hash for CacheKey<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl<T> AsRef<str> for CacheKey<T> {
    fn as_ref(&self) -> &str {
        &self.key
    }
}

/// A type cached under a key made from its primary key, `{CACHE_PREFIX}:{key}`, such as
/// `user:profile:6f1c..`. `#[derive(Table)]` implements it when the struct says
/// `#[table(cache = "user:profile")]` and has one primary key column; it can also be written
/// by hand.
///
/// ```
/// use txova_db::redis::{CacheEntity, CacheKey};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct User { id: u64, name: String }
///
/// impl CacheEntity for User {
///     type Key = u64;
///     const CACHE_PREFIX: &'static str = "user:profile";
/// }
///
/// let key: CacheKey<User> = User::cache_key(&42);
/// assert_eq!(key.as_str(), "user:profile:42");
/// ```
pub trait CacheEntity: Sized {
    /// The primary key's type.
    type Key: Display;
    /// The key's fixed part, `{service}:{entity}`: segments of lowercase letters, digits,
    /// `_` and `-`, separated by `:` ([`is_valid_key_prefix`] checks it in a `const`).
    const CACHE_PREFIX: &'static str;

    /// The cache key of the row whose primary key is `key`.
    fn cache_key(key: &Self::Key) -> CacheKey<Self> {
        let mut b = KeyBuilder::new(Self::CACHE_PREFIX.len() + 40);
        b.literal(Self::CACHE_PREFIX);
        b.literal(":");
        b.param("key", key);
        b.template = Some(Template::Entity(Self::CACHE_PREFIX));
        b.finish()
    }
}

/// Whether `prefix` is a valid fixed key part: one or more segments of lowercase ASCII
/// letters, digits, `_` and `-`, separated by single `:`, not starting or ending with `:`
/// ([`txova_db_core::key::is_valid_name_prefix`]). A `const fn`, so generated code can
/// check a prefix at compile time.
#[must_use]
pub const fn is_valid_key_prefix(prefix: &str) -> bool {
    txova_db_core::key::is_valid_name_prefix(prefix)
}

/// Builds a key from template pieces; used by the code `cache_keys!` generates.
#[doc(hidden)]
#[derive(Debug)]
pub struct KeyBuilder {
    key: String,
    scratch: String,
    invalid: Option<Box<str>>,
    template: Option<Template>,
}

impl KeyBuilder {
    #[doc(hidden)]
    #[must_use]
    pub fn new(capacity: usize) -> KeyBuilder {
        KeyBuilder {
            key: String::with_capacity(capacity),
            scratch: String::new(),
            invalid: None,
            template: None,
        }
    }

    /// Sets the key's template (its text with `{}` for each parameter), known at compile
    /// time.
    #[doc(hidden)]
    pub fn template(&mut self, template: &'static str) {
        self.template = Some(Template::Whole(template));
    }

    /// Appends a literal part of a template, checked at compile time.
    #[doc(hidden)]
    pub fn literal(&mut self, s: &str) {
        self.key.push_str(s);
    }

    /// Appends the value of the parameter `name`, escaped, and remembers the first value
    /// that breaks the key rule.
    #[doc(hidden)]
    pub fn param<V: Display + ?Sized>(&mut self, name: &str, value: &V) {
        self.scratch.clear();
        // Writing into a String cannot fail; a Display impl that reports an error leaves
        // what it wrote so far, which is still escaped below.
        let _ = write!(self.scratch, "{value}");
        escape_into(&mut self.key, &self.scratch);
        if self.invalid.is_none()
            && let Err(why) = txova_db_core::key::check_value(&self.scratch)
        {
            let why = match why {
                txova_db_core::key::Violation::Empty => "it is empty".to_owned(),
                why => why.to_string(),
            };
            self.invalid = Some(
                format!("the value of parameter `{name}` breaks the cache key rule: {why}").into(),
            );
        }
    }

    #[doc(hidden)]
    #[must_use]
    pub fn finish<T>(self) -> CacheKey<T> {
        let invalid = self
            .invalid
            .map(|why| format!("cache key {:?}: {why}", self.key).into());
        CacheKey {
            key: self.key,
            invalid,
            template: self.template,
            value: PhantomData,
        }
    }
}

/// Escapes the characters that would let a value add a segment (`:`) or a hash tag (`{`,
/// `}`), and `%` itself so that escaping is reversible and distinct values stay distinct.
pub(crate) fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            '{' => out.push_str("%7B"),
            '}' => out.push_str("%7D"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_add_segments_or_tags() {
        let mut b = KeyBuilder::new(0);
        b.literal("user:profile:");
        b.param("id", "a:b{c}%");
        let k: CacheKey<()> = b.finish();
        assert_eq!(k.as_str(), "user:profile:a%3Ab%7Bc%7D%25");
    }

    #[test]
    fn escaping_is_injective() {
        let key = |v: &str| {
            let mut s = String::new();
            escape_into(&mut s, v);
            s
        };
        assert_ne!(key("a:b"), key("a%3Ab"));
        assert_ne!(key("%"), key("%25"));
    }

    struct Rider;

    impl CacheEntity for Rider {
        type Key = u64;
        const CACHE_PREFIX: &'static str = "ride:rider";
    }

    #[test]
    fn a_key_tells_its_template_and_compares_by_its_text() {
        let mut b = KeyBuilder::new(0);
        b.template("user:profile:{}");
        b.literal("user:profile:");
        b.param("id", &7);
        let made: CacheKey<()> = b.finish();
        assert_eq!(made.template().as_deref(), Some("user:profile:{}"));
        let entity = Rider::cache_key(&7);
        assert_eq!(entity.as_str(), "ride:rider:7");
        assert_eq!(entity.template().as_deref(), Some("ride:rider:{}"));
        let parsed = CacheKey::<()>::parse("user:profile:7").unwrap();
        assert_eq!(parsed.template(), None);
        // The same text is the same key, however it was made.
        assert_eq!(made, parsed);
        let set: std::collections::HashSet<CacheKey<()>> = [made, parsed].into();
        assert_eq!(set.len(), 1);
        let key = set.into_iter().next().unwrap();
        assert_eq!(AsRef::<str>::as_ref(&key), "user:profile:7");
        assert_eq!(format!("{key:?}"), r#"CacheKey("user:profile:7")"#);
        assert_eq!(key.to_string(), "user:profile:7");
    }

    #[test]
    fn hand_written_keys_are_checked() {
        let e = CacheKey::<()>::parse("user").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"cache key "user" has one segment; write it as `service:entity:id`"#
        );
        assert!(CacheKey::<()>::parse("user:profile:1").is_ok());
        for bad in [
            "",
            "user",
            "user::1",
            "user:{x}:1",
            "user:a b",
            ":user",
            "user:a\nb",
        ] {
            let e = CacheKey::<()>::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn parameter_values_follow_the_key_rule() {
        let key = |v: &str| {
            let mut b = KeyBuilder::new(0);
            b.literal("eval:two:");
            b.param("a", v);
            b.finish::<()>()
        };
        assert!(key("x").check().is_ok());
        assert!(key("a:b{c}").check().is_ok(), "escaped, not refused");
        for bad in ["", " ", "a b", "c\nd", "\t", "\u{0}"] {
            let e = key(bad).check().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains("parameter `a`"), "{e}");
        }
    }

    #[test]
    fn list_prefix() {
        let k = CacheKey::<()>::parse("ride:history:list:user:1:page:2").unwrap();
        assert_eq!(k.list_prefix(), Some("ride:history:list:"));
        let k = CacheKey::<()>::parse("ride:history:1").unwrap();
        assert_eq!(k.list_prefix(), None);
        let k = CacheKey::<()>::parse("ride:list").unwrap();
        assert_eq!(k.list_prefix(), None);
    }

    #[test]
    fn key_prefixes() {
        assert!(is_valid_key_prefix("user:profile"));
        assert!(is_valid_key_prefix("user_2:pro-file"));
        for bad in ["", ":a", "a:", "a::b", "User", "a b", "a{b}"] {
            assert!(!is_valid_key_prefix(bad), "{bad}");
        }
    }
}
