//! A typed binary `COPY ... FROM STDIN` for any `#[derive(Table)]` struct.
//!
//! The rows are encoded here, value by value, rather than by tokio-postgres's
//! `BinaryCopyInWriter`: the same binary format, but a value that does not fit its column (a
//! wrong type, a `NULL` in a `NOT NULL` column, text longer than a `varchar(n)`) is found
//! before it is sent and named by its row and column, which the server's error for a COPY
//! does not do in a form a program can read.

use std::borrow::Borrow;
use std::convert::Infallible;
use std::pin::pin;

use futures_util::SinkExt as _;
use futures_util::stream::{self, TryStream, TryStreamExt as _};
use tokio_postgres::types::private::BytesMut;
use tokio_postgres::types::{IsNull, Type};

use super::super::connection::Runner as _;
use super::super::executor::Executor as _;
use super::super::schema::{ColumnInfo, Insertable};
use super::super::tx::{Transaction, TxSource, with_tx};
use crate::error::{Error, ErrorKind, Result};

/// How many encoded bytes are gathered before they are handed to the connection.
const CHUNK: usize = 256 * 1024;

/// The binary COPY header: signature, flags, header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Loads `rows` into `T`'s table with a binary `COPY ... FROM STDIN` and returns how many
/// were written.
///
/// Rows are encoded as the iterator yields them and sent in chunks, so a large load is never
/// held in memory at once. The COPY runs in a transaction (a savepoint when `on` is a
/// [`Transaction`]): when a value is bad, the error names its row (its index in `rows`,
/// from 0) and column, and nothing is written. `#[column(default)]` fields are left out, as
/// in `insert!`.
///
/// ```no_run
/// # async fn demo(pool: &txova_db::postgres::Pool) -> txova_db::Result<()> {
/// use txova_db::Table;
/// use txova_db::postgres::copy_in;
///
/// #[derive(Table)]
/// #[table(name = "trips")]
/// struct Trip {
///     id: i64,
///     km: f64,
/// }
///
/// let written = copy_in(pool, (0..100_000).map(|id| Trip { id, km: 1.5 })).await?;
/// assert_eq!(written, 100_000);
/// # Ok(()) }
/// ```
pub async fn copy_in<T, I>(on: impl TxSource, rows: I) -> Result<u64>
where
    T: Insertable,
    I: IntoIterator,
    I::Item: Borrow<T>,
{
    let rows = stream::iter(rows.into_iter().map(Ok::<_, Infallible>));
    with_tx(on, async |tx| copy_rows::<T, _>(tx, rows).await).await
}

/// Loads the rows a [`Stream`](futures_util::Stream) yields into `T`'s table with a binary
/// `COPY ... FROM STDIN`, as [`copy_in`] does for an iterator, and returns how many were
/// written.
///
/// The stream yields `Result`s (a [`TryStream`]): rows read from a file, a channel or another
/// query arrive as they are produced and are sent in chunks, so memory stays bounded whatever
/// the number of rows. The COPY runs in a transaction (a savepoint when `on` is a
/// [`Transaction`]), so when the stream yields an error, or a value is bad, nothing is
/// written: the error names the row (its index in the stream, from 0). A stream error that is
/// a txova-db error keeps its kind; any other (an [`Error::custom`] included) is
/// [`ErrorKind::InvalidInput`], with the stream's error as its source
/// ([`Error::downcast_ref`]). The query deadline covers the whole COPY, waits on the stream
/// included.
///
/// ```no_run
/// # async fn demo(pool: &txova_db::postgres::Pool) -> txova_db::Result<()> {
/// use futures_util::stream;
/// use txova_db::Table;
/// use txova_db::postgres::copy_in_stream;
///
/// #[derive(Table)]
/// #[table(name = "trips")]
/// struct Trip {
///     id: i64,
///     km: f64,
/// }
///
/// let rows = stream::iter((0..100_000).map(|id| Ok::<_, std::io::Error>(Trip { id, km: 1.5 })));
/// let written = copy_in_stream::<Trip, _>(pool, rows).await?;
/// assert_eq!(written, 100_000);
/// # Ok(()) }
/// ```
pub async fn copy_in_stream<T, S>(on: impl TxSource, rows: S) -> Result<u64>
where
    T: Insertable,
    S: TryStream,
    S::Ok: Borrow<T>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    with_tx(on, async |tx| copy_rows::<T, _>(tx, rows).await).await
}

/// The error for a row the stream could not give: a txova-db error keeps its kind.
fn stream_error<T: Insertable>(index: u64, e: Box<dyn std::error::Error + Send + Sync>) -> Error {
    let context = format!(
        "copy into `{}`: row {index}: the rows' stream failed",
        T::NAME
    );
    match e.downcast::<Error>() {
        Ok(e) if e.kind() != ErrorKind::Custom => e.context(context),
        // An application error (`Error::custom` included) shows its own message, so it
        // becomes the cause of an error that names the row.
        Ok(e) => Error::with_source(ErrorKind::InvalidInput, context, *e),
        Err(e) => Error::with_source(ErrorKind::InvalidInput, context, e),
    }
}

/// What the encoder must know of each inserted column.
struct Target {
    name: &'static str,
    ty: Type,
    /// Whether the column refuses `NULL`.
    not_null: bool,
    /// The most characters a `varchar(n)` or `char(n)` column holds.
    max_chars: Option<usize>,
}

async fn copy_rows<T, S>(tx: &mut Transaction<'_>, rows: S) -> Result<u64>
where
    T: Insertable,
    S: TryStream,
    S::Ok: Borrow<T>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let targets = targets::<T>(tx).await?;
    let mut sql = format!("COPY {} (", T::SQL_NAME);
    for (i, c) in T::INSERT_COLUMNS.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(c);
    }
    sql.push_str(") FROM STDIN (FORMAT binary)");
    let width = i16::try_from(targets.len())
        .map_err(|_| Error::invalid_input("a COPY writes at most 32 767 columns"))?;
    let client = tx.client();
    // The COPY is one statement: the choke point gives it the query deadline, and cancels
    // it and closes the connection if it passes or the caller gives up (a COPY can wait on
    // another transaction's lock for ever).
    tx.session()
        .run(async {
            let sink = client
                .copy_in::<_, BytesMut>(sql.as_str())
                .await
                .map_err(Error::from)?;
            let mut sink = pin!(sink);
            let mut buf = BytesMut::with_capacity(CHUNK + 4096);
            buf.extend_from_slice(HEADER);
            let mut rows = pin!(rows.into_stream());
            let mut index = 0_u64;
            loop {
                // An error returns early and drops the sink, which aborts the COPY.
                let row = match rows.try_next().await {
                    Ok(Some(row)) => row,
                    Ok(None) => break,
                    Err(e) => return Err(stream_error::<T>(index, e.into())),
                };
                encode_row::<T>(&mut buf, row.borrow(), index, width, &targets)?;
                index += 1;
                if buf.len() >= CHUNK {
                    sink.feed(buf.split()).await.map_err(Error::from)?;
                }
            }
            buf.extend_from_slice(&(-1_i16).to_be_bytes());
            sink.feed(buf.split()).await.map_err(Error::from)?;
            sink.as_mut().finish().await.map_err(Error::from)
        })
        .await
}

fn encode_row<T: Insertable>(
    buf: &mut BytesMut,
    row: &T,
    index: u64,
    width: i16,
    targets: &[Target],
) -> Result<()> {
    buf.extend_from_slice(&width.to_be_bytes());
    for (i, target) in targets.iter().enumerate() {
        let at = buf.len();
        buf.extend_from_slice(&[0; 4]);
        let bad = |kind: ErrorKind, why: String| {
            Error::new(
                kind,
                format!(
                    "copy into `{}`: row {index}, column `{}`: {why}",
                    T::NAME,
                    target.name
                ),
            )
            .with_column(T::NAME, target.name)
        };
        let len = match row.insert_param(i).to_sql_checked(&target.ty, buf) {
            Ok(IsNull::Yes) => {
                if target.not_null {
                    return Err(bad(
                        ErrorKind::NotNull,
                        "NULL in a NOT NULL column".to_owned(),
                    ));
                }
                buf.truncate(at + 4);
                -1
            }
            Ok(IsNull::No) => {
                let value = &buf[at + 4..];
                if let Some(max) = target.max_chars {
                    let chars = std::str::from_utf8(value).map_or(0, |s| {
                        let s = if target.ty == Type::BPCHAR {
                            s.trim_end_matches(' ')
                        } else {
                            s
                        };
                        s.chars().count()
                    });
                    if chars > max {
                        return Err(bad(
                            ErrorKind::InvalidInput,
                            format!(
                                "a value of {chars} characters is too long for type `{}({max})`",
                                target.ty.name()
                            ),
                        ));
                    }
                }
                i32::try_from(value.len()).map_err(|_| {
                    bad(ErrorKind::Encode, "a value is larger than 2 GiB".to_owned())
                })?
            }
            Err(e) => return Err(bad(ErrorKind::Encode, e.to_string())),
        };
        buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// The inserted columns' types (from a statement the server describes, so enums and
/// domains are known), nullability and length limits (from the catalog).
async fn targets<T: Insertable>(tx: &Transaction<'_>) -> Result<Vec<Target>> {
    let mut probe = String::from("SELECT ");
    for (i, c) in T::INSERT_COLUMNS.iter().enumerate() {
        if i > 0 {
            probe.push_str(", ");
        }
        probe.push_str(c);
    }
    probe.push_str(" FROM ");
    probe.push_str(T::SQL_NAME);
    let described = tx.client().prepare(&probe).await.map_err(Error::from)?;
    let catalog = tx
        .query(
            "SELECT attname::text, attnotnull, atttypmod FROM pg_attribute \
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped",
            &[&T::SQL_NAME],
        )
        .await?;
    let inserted: Vec<&ColumnInfo> = T::COLUMN_INFO.iter().filter(|c| !c.has_default).collect();
    let mut out = Vec::with_capacity(inserted.len());
    for (info, col) in inserted.into_iter().zip(described.columns()) {
        let mut not_null = false;
        let mut typmod = -1_i32;
        for r in &catalog {
            if r.try_get::<_, &str>(0)? == info.name {
                not_null = r.try_get(1)?;
                typmod = r.try_get(2)?;
            }
        }
        let ty = col.type_().clone();
        let max_chars = if (ty == Type::VARCHAR || ty == Type::BPCHAR) && typmod > 4 {
            usize::try_from(typmod - 4).ok()
        } else {
            None
        };
        out.push(Target {
            name: info.name,
            ty,
            not_null,
            max_chars,
        });
    }
    Ok(out)
}
