//! `verify_schema`: compares `#[derive(Table)]` structs with the live database's catalog.

use std::fmt;

use tokio_postgres::types::{Kind, Type};

use super::executor::Executor;
use super::schema::{ColumnInfo, Table};
use crate::error::Result;

/// One table as the derive describes it, for [`verify_tables`].
#[derive(Debug, Clone, Copy)]
pub struct TableInfo {
    /// The table's name, unquoted.
    pub name: &'static str,
    /// The table's schema, if it names one (else the connection's current schema).
    pub schema: Option<&'static str>,
    /// The struct's columns.
    pub columns: &'static [ColumnInfo],
}

impl TableInfo {
    /// The description of table `T`.
    #[must_use]
    pub fn of<T: Table>() -> Self {
        TableInfo {
            name: T::NAME,
            schema: T::SCHEMA,
            columns: T::COLUMN_INFO,
        }
    }
}

/// A way in which a struct and the database disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaDifference {
    /// The table does not exist.
    MissingTable {
        /// The table.
        table: String,
    },
    /// The struct has a field for a column the table does not have.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The field's Rust type cannot read the column's PostgreSQL type.
    WrongType {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The field's Rust type.
        rust_type: &'static str,
        /// The column's PostgreSQL type.
        sql_type: String,
    },
    /// The column may hold `NULL` but the field is not an `Option`, so reading a `NULL`
    /// fails.
    NullableColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The field is an `Option` but the column is `NOT NULL`, so writing `None` fails.
    NotNullColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The field is `#[column(default)]` (left out of inserts) but the column has no
    /// default and is `NOT NULL`, so inserts fail.
    MissingDefault {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The table has a `NOT NULL` column without a default that the struct does not map, so
    /// inserts from the struct fail.
    UnmappedColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
}

impl fmt::Display for SchemaDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaDifference::MissingTable { table } => write!(f, "table `{table}` does not exist"),
            SchemaDifference::MissingColumn { table, column } => {
                write!(f, "column `{table}.{column}` does not exist")
            }
            SchemaDifference::WrongType {
                table,
                column,
                rust_type,
                sql_type,
            } => write!(
                f,
                "column `{table}.{column}` has type `{sql_type}`, which a `{rust_type}` field cannot read"
            ),
            SchemaDifference::NullableColumn { table, column } => write!(
                f,
                "column `{table}.{column}` is nullable but its field is not an `Option`"
            ),
            SchemaDifference::NotNullColumn { table, column } => write!(
                f,
                "column `{table}.{column}` is `NOT NULL` but its field is an `Option`"
            ),
            SchemaDifference::MissingDefault { table, column } => write!(
                f,
                "column `{table}.{column}` has no default, but its field is `#[column(default)]`"
            ),
            SchemaDifference::UnmappedColumn { table, column } => write!(
                f,
                "column `{table}.{column}` is `NOT NULL` without a default and has no field"
            ),
        }
    }
}

/// The columns of one table. `attnotnull` says new rows need a value; from PostgreSQL 18 on
/// it is also set by a `NOT NULL` constraint added `NOT VALID` (recorded in `pg_constraint`
/// with contype `n`), under which rows already there may still hold `NULL`, so the last
/// column asks for a validated one. Before 18 no such constraint exists and the two agree.
/// For an array the element's type is described too (`et`), so an array of an enum is known.
/// A domain is described by its base type (through domains over domains), which is what its
/// values travel as.
const CATALOG: &str = "\
SELECT a.attname::text, t.oid, t.typname::text, t.typtype::text, t.typelem,
       tn.nspname::text, a.attnotnull, a.atthasdef,
       coalesce((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                 FROM pg_enum e WHERE e.enumtypid = t.oid), '{}'),
       a.attnotnull AND NOT EXISTS (
         SELECT FROM pg_constraint k
         WHERE k.conrelid = a.attrelid AND k.contype = 'n' AND k.conkey = ARRAY[a.attnum]
           AND NOT k.convalidated),
       et.typname::text, et.typtype::text, etn.nspname::text,
       coalesce((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
                 FROM pg_enum e WHERE e.enumtypid = et.oid), '{}')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN LATERAL (
  WITH RECURSIVE d(oid, depth) AS (
    SELECT a.atttypid, 0
    UNION ALL
    SELECT dt.typbasetype, d.depth + 1 FROM d JOIN pg_type dt ON dt.oid = d.oid
    WHERE dt.typtype = 'd')
  SELECT d.oid FROM d ORDER BY d.depth DESC LIMIT 1) base ON true
JOIN pg_type t ON t.oid = base.oid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typelem <> 0
LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
WHERE c.relname = $1 AND n.nspname = coalesce($2, current_schema())
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum";

/// A column as the catalog describes it.
struct LiveColumn {
    name: String,
    ty: Type,
    /// A new row must have a value.
    not_null: bool,
    /// No row holds `NULL`: `NOT NULL` and, on PostgreSQL 18, validated.
    never_null: bool,
    has_default: bool,
}

/// Compares table `T` with the database and returns every difference (none when they
/// agree). Run it in a test or at start-up.
pub async fn verify_schema<T: Table>(db: &impl Executor) -> Result<Vec<SchemaDifference>> {
    verify_tables(db, &[TableInfo::of::<T>()]).await
}

/// Compares each of `tables` with the database and returns every difference.
pub async fn verify_tables(
    db: &impl Executor,
    tables: &[TableInfo],
) -> Result<Vec<SchemaDifference>> {
    let mut out = Vec::new();
    for table in tables {
        let live = live_columns(db, table).await?;
        compare(table, &live, &mut out);
    }
    Ok(out)
}

async fn live_columns(db: &impl Executor, table: &TableInfo) -> Result<Vec<LiveColumn>> {
    let rows = db.query(CATALOG, &[&table.name, &table.schema]).await?;
    rows.iter()
        .map(|r| {
            let oid: u32 = r.try_get(1)?;
            let type_name: String = r.try_get(2)?;
            let type_kind: String = r.try_get(3)?;
            let elem: u32 = r.try_get(4)?;
            let type_schema: String = r.try_get(5)?;
            let labels: Vec<String> = r.try_get(8)?;
            let ty = if let Some(t) = Type::from_oid(oid) {
                t
            } else {
                let kind = if type_kind == "e" {
                    Kind::Enum(labels)
                } else if elem != 0 {
                    Kind::Array(match Type::from_oid(elem) {
                        Some(t) => t,
                        None => element_type(r, elem)?,
                    })
                } else {
                    Kind::Simple
                };
                Type::new(type_name, oid, kind, type_schema)
            };
            Ok(LiveColumn {
                name: r.try_get(0)?,
                ty,
                not_null: r.try_get(6)?,
                never_null: r.try_get(9)?,
                has_default: r.try_get(7)?,
            })
        })
        .collect()
}

/// The element type of an array column whose type the driver does not know (an array of an
/// enum), from the catalog row's element columns.
fn element_type(r: &tokio_postgres::Row, oid: u32) -> Result<Type> {
    let name: Option<String> = r.try_get(10)?;
    let kind: Option<String> = r.try_get(11)?;
    let schema: Option<String> = r.try_get(12)?;
    let labels: Vec<String> = r.try_get(13)?;
    let (Some(name), Some(schema)) = (name, schema) else {
        return Ok(Type::UNKNOWN);
    };
    let kind = if kind.as_deref() == Some("e") {
        Kind::Enum(labels)
    } else {
        Kind::Simple
    };
    Ok(Type::new(name, oid, kind, schema))
}

fn compare(table: &TableInfo, live: &[LiveColumn], out: &mut Vec<SchemaDifference>) {
    let name = match table.schema {
        Some(s) => format!("{s}.{}", table.name),
        None => table.name.to_owned(),
    };
    if live.is_empty() {
        out.push(SchemaDifference::MissingTable { table: name });
        return;
    }
    for col in table.columns {
        let column = col.name.to_owned();
        let Some(l) = live.iter().find(|l| l.name == col.name) else {
            out.push(SchemaDifference::MissingColumn {
                table: name.clone(),
                column,
            });
            continue;
        };
        if !(col.accepts)(&l.ty) {
            out.push(SchemaDifference::WrongType {
                table: name.clone(),
                column: column.clone(),
                rust_type: col.rust_type,
                sql_type: l.ty.name().to_owned(),
            });
        }
        if !l.never_null && !col.nullable {
            out.push(SchemaDifference::NullableColumn {
                table: name.clone(),
                column: column.clone(),
            });
        } else if l.not_null && col.nullable {
            out.push(SchemaDifference::NotNullColumn {
                table: name.clone(),
                column: column.clone(),
            });
        }
        if col.has_default && !l.has_default && l.not_null {
            out.push(SchemaDifference::MissingDefault {
                table: name.clone(),
                column,
            });
        }
    }
    for l in live {
        if l.not_null && !l.has_default && !table.columns.iter().any(|c| c.name == l.name) {
            out.push(SchemaDifference::UnmappedColumn {
                table: name.clone(),
                column: l.name.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_difference_says_what_to_change() {
        let t = || "users".to_owned();
        let c = || "bio".to_owned();
        let cases = [
            (
                SchemaDifference::MissingTable {
                    table: "users".to_owned(),
                },
                "table `users` does not exist",
            ),
            (
                SchemaDifference::MissingColumn {
                    table: t(),
                    column: c(),
                },
                "column `users.bio` does not exist",
            ),
            (
                SchemaDifference::WrongType {
                    table: t(),
                    column: c(),
                    rust_type: "i32",
                    sql_type: "text".to_owned(),
                },
                "column `users.bio` has type `text`, which a `i32` field cannot read",
            ),
            (
                SchemaDifference::NullableColumn {
                    table: t(),
                    column: c(),
                },
                "column `users.bio` is nullable but its field is not an `Option`",
            ),
            (
                SchemaDifference::NotNullColumn {
                    table: t(),
                    column: c(),
                },
                "column `users.bio` is `NOT NULL` but its field is an `Option`",
            ),
            (
                SchemaDifference::MissingDefault {
                    table: t(),
                    column: c(),
                },
                "column `users.bio` has no default, but its field is `#[column(default)]`",
            ),
            (
                SchemaDifference::UnmappedColumn {
                    table: t(),
                    column: c(),
                },
                "column `users.bio` is `NOT NULL` without a default and has no field",
            ),
        ];
        for (difference, text) in cases {
            assert_eq!(difference.to_string(), text);
        }
    }
}
