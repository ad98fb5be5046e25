//! How statements reach the server: as named prepared statements (the default), or as the
//! unnamed statement with the parameter types declared by the client, which a pooler in
//! transaction mode such as `PgBouncer` can relay.
//!
//! A pooler in transaction mode hands each transaction (and each statement outside one) to
//! whichever server connection is free, so a statement prepared on one server connection is
//! unknown on the next (`26000`), and names chosen per client process collide with another
//! client's on a shared server connection (`42P05`). The unnamed statement lives only until
//! the next `Parse` on the same connection, and `Parse`, `Bind`, `Describe`, `Execute` and
//! `Sync` go out together in one round trip, so the pooler never splits them.
//!
//! The server cannot be asked for the parameter types first without a second round trip (and
//! a second chance for the pooler to switch connections), so the types are declared from the
//! values: each value is offered the built-in types in a fixed order and the first it accepts
//! is declared. Strings are declared as `unknown`, which lets the server infer the type from
//! the statement (`text`, `varchar`, an enum, ...), exactly as it would for a literal.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::TryStreamExt as _;
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type, WrongType};
use tokio_postgres::{Row, RowStream};

use super::executor::Param;
use crate::error::{Error, ErrorKind, Result, chain};

/// How statements are sent to the server; chosen with
/// [`Config::statement_mode`](super::Config::statement_mode) or `statement_mode=` in the URL.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatementMode {
    /// Named prepared statements, through each connection's cache unless
    /// [`Config::statement_cache`](super::Config::statement_cache) is off. The fastest way to a
    /// PostgreSQL server or a pooler in session mode. `statement_mode=prepared` in the URL.
    #[default]
    Prepared,
    /// One round trip per statement with the unnamed statement, the parameter types declared
    /// from the values; nothing stays prepared on the server. For a pooler in transaction mode
    /// (`PgBouncer` with `pool_mode = transaction`). `statement_mode=unnamed` in the URL.
    Unnamed,
}

impl StatementMode {
    /// The name used in the URL.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StatementMode::Prepared => "prepared",
            StatementMode::Unnamed => "unnamed",
        }
    }
}

impl fmt::Display for StatementMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatementMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "prepared" => Ok(StatementMode::Prepared),
            "unnamed" => Ok(StatementMode::Unnamed),
            other => Err(Error::config(format!(
                "invalid statement_mode `{other}`: expected prepared or unnamed"
            ))),
        }
    }
}

/// The database's enum array types, learnt on connect (see [`learn_types`]): a value that
/// takes one of them (a `Vec` of a `#[derive(PgEnum)]` enum) is declared with it, so that
/// `= ANY($1)` against an enum column needs no cast.
pub(crate) type Learned = std::sync::RwLock<Vec<Type>>;

/// What a statement runs on: a client, or a transaction on one.
#[derive(Clone, Copy)]
pub(crate) enum Driver<'a> {
    Client(&'a tokio_postgres::Client),
    Tx(&'a tokio_postgres::Transaction<'a>),
}

/// Runs `sql` as the unnamed statement and returns its rows as they arrive.
pub(crate) async fn query_raw(
    driver: Driver<'_>,
    sql: &str,
    params: &[Param<'_>],
    learned: &Learned,
) -> Result<RowStream> {
    let declared = declare(params, learned)?;
    let rows = match driver {
        Driver::Client(c) => c.query_typed_raw(sql, declared).await,
        Driver::Tx(t) => t.query_typed_raw(sql, declared).await,
    };
    rows.map_err(Error::from)
}

/// Runs `sql` as the unnamed statement and returns all its rows.
pub(crate) async fn query(
    driver: Driver<'_>,
    sql: &str,
    params: &[Param<'_>],
    learned: &Learned,
) -> Result<Vec<Row>> {
    query_raw(driver, sql, params, learned)
        .await?
        .try_collect()
        .await
        .map_err(Error::from)
}

/// Runs `sql` as the unnamed statement and returns the number of rows it affected.
pub(crate) async fn execute(
    driver: Driver<'_>,
    sql: &str,
    params: &[Param<'_>],
    learned: &Learned,
) -> Result<u64> {
    let rows = query_raw(driver, sql, params, learned).await?;
    let mut rows = std::pin::pin!(rows);
    while rows.try_next().await.map_err(Error::from)?.is_some() {}
    Ok(rows.rows_affected().unwrap_or(0))
}

/// The values of a named statement, checked against its parameters and watched while the
/// driver encodes them, so that a value the driver cannot encode is told apart by type from
/// every other failure and reported with its `$n`.
pub(crate) struct Bound<'p, 'v> {
    params: &'p [Param<'v>],
    /// The 1-based index of the value that failed to encode; 0 while none has.
    failed: AtomicUsize,
}

impl<'p, 'v> Bound<'p, 'v> {
    /// Checks the number of values against the statement's parameters: a wrong count is the
    /// caller's mistake, found before anything is sent.
    pub(crate) fn new(
        statement: &tokio_postgres::Statement,
        params: &'p [Param<'v>],
    ) -> Result<Self> {
        let expected = statement.params().len();
        if expected != params.len() {
            return Err(Error::invalid_input(format!(
                "the statement has {expected} parameter(s) but {} value(s) were given",
                params.len()
            ))
            .not_sent());
        }
        Ok(Bound {
            params,
            failed: AtomicUsize::new(0),
        })
    }

    /// The values, as the driver takes them.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = Watched<'_>> {
        self.params.iter().enumerate().map(|(index, p)| Watched {
            value: *p,
            index,
            failed: &self.failed,
        })
    }

    /// The error of a call that used these values.
    pub(crate) fn error(&self, e: tokio_postgres::Error) -> Error {
        match self.failed.load(Ordering::Relaxed) {
            0 => Error::from(e),
            n => {
                // The driver's own text ("error serializing parameter 0") only repeats, with
                // a 0-based index, what is said here.
                let cause = std::error::Error::source(&e).map(chain).unwrap_or_default();
                Error::new(
                    ErrorKind::Encode,
                    format!("cannot encode parameter ${n}: {cause}"),
                )
                .not_sent()
            }
        }
    }
}

/// One value of a [`Bound`], recording its index when it fails to encode.
#[derive(Debug)]
pub(crate) struct Watched<'a> {
    value: Param<'a>,
    index: usize,
    failed: &'a AtomicUsize,
}

impl ToSql for Watched<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.to_sql_checked(ty, out)
    }

    fn accepts(_: &Type) -> bool {
        // The value checks itself, in `to_sql_checked`.
        true
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let r = self.value.to_sql_checked(base_type(ty), out);
        if r.is_err() {
            self.failed.store(self.index + 1, Ordering::Relaxed);
        }
        r
    }

    fn encode_format(&self, ty: &Type) -> Format {
        self.value.encode_format(base_type(ty))
    }
}

/// The type a value of `ty` is sent as: a domain's values travel as its base type's (the
/// server checks the domain's constraints), so a `String` fills a domain over `text`.
fn base_type(mut ty: &Type) -> &Type {
    while let Kind::Domain(base) = ty.kind() {
        ty = base;
    }
    ty
}

/// Teaches a new connection the database's own types (enums, domains, composites, ranges and
/// their arrays) inside one transaction, so a pooler in transaction mode keeps one server
/// connection for it.
///
/// tokio-postgres reads the type of a result column it does not know with a named prepared
/// statement of its own, prepared in one round trip and run in the next; through the pooler
/// the second may reach another server connection, where the statement does not exist. Once a
/// type is known, the client keeps it. The named statements this lookup leaves behind are
/// deallocated before the transaction ends (with any a client in another mode left on that
/// server connection, which could only collide with ours).
pub(crate) async fn learn_types(client: &tokio_postgres::Client, learned: &Learned) -> Result<()> {
    // Qualified names as the server prints them (`regtype` quotes what needs quoting); the
    // cast list is built from the catalog, never from user input.
    const TYPES: &str = "SELECT string_agg(format('NULL::%s, NULL::%s[]', t.oid::regtype, \
        t.oid::regtype), ', ') FROM (SELECT oid FROM pg_type t WHERE typtype IN ('e', 'd', 'r', \
        'c') AND (typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = typrelid) = 'c') \
        AND typnamespace NOT IN ('pg_catalog'::regnamespace, \
        'information_schema'::regnamespace) ORDER BY oid LIMIT 500) t";
    client.batch_execute("BEGIN; DEALLOCATE ALL").await?;
    let learnt = async {
        let casts = client.simple_query(TYPES).await?;
        let list = casts.iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        });
        if let Some(list) = list {
            let no_params: [(&(dyn ToSql + Sync), Type); 0] = [];
            let rows = client
                .query_typed(&format!("SELECT {list}"), &no_params)
                .await?;
            let enum_arrays = rows.first().map(|row| {
                row.columns()
                    .iter()
                    .map(|c| c.type_().clone())
                    .filter(
                        |t| matches!(t.kind(), Kind::Array(e) if matches!(e.kind(), Kind::Enum(_))),
                    )
                    .collect::<Vec<_>>()
            });
            if let Some(types) = enum_arrays {
                let mut slot = learned
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *slot = types;
            }
        }
        client.batch_execute("DEALLOCATE ALL; COMMIT").await
    };
    match learnt.await {
        Ok(()) => Ok(()),
        Err(e) => {
            // The connection is dropped by the caller; the rollback only tidies up.
            let _ = client.batch_execute("ROLLBACK").await;
            Err(Error::from(e).context("cannot read the database's types"))
        }
    }
}

/// The types offered to each value, in order; the first it accepts is declared.
///
/// `unknown` comes first so that strings (and `PgEnum` values) are typed by the server from
/// the statement, as a literal is. 64-bit integers, timestamps with a time zone and `jsonb`
/// come before their narrower or older siblings, which the same Rust types also accept.
const CANDIDATES: &[Type] = &[
    Type::UNKNOWN,
    Type::INT8,
    Type::INT4,
    Type::INT2,
    Type::BOOL,
    Type::UUID,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMP,
    Type::DATE,
    Type::TIME,
    Type::FLOAT8,
    Type::FLOAT4,
    Type::JSONB,
    Type::JSON,
    Type::BYTEA,
    Type::NUMERIC,
    Type::INTERVAL,
    Type::CHAR,
    Type::OID,
    Type::INET,
    Type::CIDR,
    Type::MACADDR,
    Type::MACADDR8,
    Type::POINT,
    Type::BOX,
    Type::PATH,
    Type::VARBIT,
    Type::BIT,
    Type::TEXT,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::INT4_ARRAY,
    Type::INT2_ARRAY,
    Type::BOOL_ARRAY,
    Type::UUID_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::TIMESTAMP_ARRAY,
    Type::DATE_ARRAY,
    Type::TIME_ARRAY,
    Type::FLOAT8_ARRAY,
    Type::FLOAT4_ARRAY,
    Type::JSONB_ARRAY,
    Type::JSON_ARRAY,
    Type::BYTEA_ARRAY,
    Type::NUMERIC_ARRAY,
    Type::INTERVAL_ARRAY,
    Type::CHAR_ARRAY,
    Type::OID_ARRAY,
    Type::INET_ARRAY,
];

/// A value already encoded for its declared type, so it is encoded once.
#[derive(Debug)]
struct Encoded {
    bytes: Option<BytesMut>,
    format: Format,
}

impl ToSql for Encoded {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match &self.bytes {
            Some(b) => {
                out.extend_from_slice(b);
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> Format {
        self.format
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Finds each value's type and encodes it with that type.
fn declare(params: &[Param<'_>], learned: &Learned) -> Result<Vec<(Encoded, Type)>> {
    let mut buf = BytesMut::new();
    let mut out = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        out.push(encode(*p, i, &mut buf, learned)?);
    }
    Ok(out)
}

fn encode(
    p: Param<'_>,
    index: usize,
    buf: &mut BytesMut,
    learned: &Learned,
) -> Result<(Encoded, Type)> {
    for ty in CANDIDATES {
        // An array of enum labels also takes `text[]`, which the server would not compare
        // with the enum: the database's own enum arrays are offered first.
        if *ty == Type::TEXT_ARRAY {
            let enums = learned
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for ty in enums.iter() {
                if let Some(found) = try_type(p, index, ty, buf)? {
                    return Ok(found);
                }
            }
        }
        if let Some(found) = try_type(p, index, ty, buf)? {
            return Ok(found);
        }
    }
    Err(Error::invalid_input(format!(
        "parameter ${} is of no built-in PostgreSQL type, so the unnamed statement \
         mode cannot declare it; pass it as a string and cast it in the SQL (`$1::my_type`)",
        index + 1
    ))
    .not_sent())
}

/// Encodes `p` as `ty`; `None` when `p` does not take that type.
fn try_type(
    p: Param<'_>,
    index: usize,
    ty: &Type,
    buf: &mut BytesMut,
) -> Result<Option<(Encoded, Type)>> {
    buf.clear();
    match p.to_sql_checked(ty, buf) {
        Ok(is_null) => {
            let bytes = match is_null {
                IsNull::No => Some(buf.split()),
                IsNull::Yes => None,
            };
            let format = p.encode_format(ty);
            Ok(Some((Encoded { bytes, format }, ty.clone())))
        }
        Err(e) if e.is::<WrongType>() => Ok(None),
        Err(e) => Err(Error::new(
            ErrorKind::Encode,
            format!(
                "cannot encode parameter ${} as {}: {}",
                index + 1,
                ty.name(),
                chain(&*e)
            ),
        )
        .not_sent()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(p: Param<'_>) -> Type {
        let mut buf = BytesMut::new();
        match encode(p, 0, &mut buf, &Learned::default()) {
            Ok((_, ty)) => ty,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn modes_are_named_as_the_url_names_them() {
        assert_eq!(StatementMode::Prepared.to_string(), "prepared");
        assert_eq!(StatementMode::Unnamed.to_string(), "unnamed");
        assert_eq!(StatementMode::default(), StatementMode::Prepared);
    }

    #[test]
    fn values_declare_the_type_they_encode_as() {
        assert_eq!(declared(&"x"), Type::UNKNOWN);
        assert_eq!(declared(&String::from("x")), Type::UNKNOWN);
        assert_eq!(declared(&None::<&str>), Type::UNKNOWN);
        assert_eq!(declared(&1_i64), Type::INT8);
        assert_eq!(declared(&1_i32), Type::INT4);
        assert_eq!(declared(&None::<i16>), Type::INT2);
        assert_eq!(declared(&true), Type::BOOL);
        assert_eq!(declared(&1.5_f64), Type::FLOAT8);
        assert_eq!(declared(&vec![1_u8]), Type::BYTEA);
        assert_eq!(declared(&vec![1_i64]), Type::INT8_ARRAY);
        assert_eq!(declared(&vec!["a".to_owned()]), Type::TEXT_ARRAY);
        #[cfg(feature = "json")]
        assert_eq!(declared(&serde_json::json!({})), Type::JSONB);
        assert_eq!(
            declared(&std::time::SystemTime::UNIX_EPOCH),
            Type::TIMESTAMPTZ
        );
    }

    #[test]
    fn a_value_of_no_builtin_type_is_invalid_input() {
        #[derive(Debug)]
        struct Custom;
        impl ToSql for Custom {
            fn to_sql(
                &self,
                _: &Type,
                _: &mut BytesMut,
            ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
                Ok(IsNull::Yes)
            }
            fn accepts(ty: &Type) -> bool {
                ty.name() == "my_type"
            }
            tokio_postgres::types::to_sql_checked!();
        }
        let mut buf = BytesMut::new();
        let err = encode(&Custom, 1, &mut buf, &Learned::default()).expect_err("an error");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("parameter $2"), "{err}");
    }

    #[test]
    fn modes_parse_from_their_names() {
        assert_eq!(
            "unnamed".parse::<StatementMode>().ok(),
            Some(StatementMode::Unnamed)
        );
        assert_eq!(
            "prepared".parse::<StatementMode>().ok(),
            Some(StatementMode::Prepared)
        );
        let err = "named".parse::<StatementMode>().expect_err("an error");
        assert_eq!(err.kind(), ErrorKind::Config);
    }
}
