//! The SQL assembler: parts joined into a `&'static str` by const evaluation.

/// One piece of a statement's SQL text, joined at compile time by [`sql_len`] and
/// [`sql_bytes`].
#[derive(Clone, Copy)]
pub enum Part {
    /// Text as is.
    Str(&'static str),
    /// A placeholder `$n`.
    Param(usize),
    /// Names joined by `, `.
    List(&'static [&'static str]),
    /// Names joined by `, `, each prefixed with the table and a dot.
    QualifiedList(&'static str, &'static [&'static str]),
    /// `count` groups of `width` placeholders from `$first`: `($1, $2), ($3, $4)`.
    Rows {
        /// The first placeholder's number.
        first: usize,
        /// Placeholders per row.
        width: usize,
        /// Rows.
        count: usize,
    },
}

const fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

const fn part_len(part: &Part) -> usize {
    match *part {
        Part::Str(s) => s.len(),
        Part::Param(n) => 1 + digits(n),
        Part::List(names) => list_len("", names),
        Part::QualifiedList(table, names) => list_len(table, names),
        Part::Rows {
            first,
            width,
            count,
        } => {
            let mut len = 0;
            let mut i = 0;
            while i < count * width {
                if i % width == 0 {
                    len += if i == 0 { 1 } else { 4 };
                } else {
                    len += 2;
                }
                len += 1 + digits(first + i);
                i += 1;
            }
            if count * width > 0 {
                len += 1;
            }
            len
        }
    }
}

const fn list_len(table: &str, names: &[&str]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < names.len() {
        if i > 0 {
            len += 2;
        }
        if !table.is_empty() {
            len += table.len() + 1;
        }
        len += names[i].len();
        i += 1;
    }
    len
}

/// The length in bytes of the SQL text the parts make.
#[must_use]
pub const fn sql_len(parts: &[Part]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < parts.len() {
        len += part_len(&parts[i]);
        i += 1;
    }
    len
}

struct Buf<const N: usize> {
    bytes: [u8; N],
    at: usize,
}

impl<const N: usize> Buf<N> {
    const fn str(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            self.bytes[self.at] = b[i];
            self.at += 1;
            i += 1;
        }
        self
    }

    const fn param(mut self, n: usize) -> Self {
        self.bytes[self.at] = b'$';
        self.at += 1;
        let d = digits(n);
        let mut k = d;
        let mut v = n;
        while k > 0 {
            k -= 1;
            // `v % 10` is below 10, so the cast keeps it.
            #[allow(clippy::cast_possible_truncation, reason = "a digit fits in a byte")]
            let digit = (v % 10) as u8;
            self.bytes[self.at + k] = b'0' + digit;
            v /= 10;
        }
        self.at += d;
        self
    }

    const fn list(mut self, table: &str, names: &[&str]) -> Self {
        let mut i = 0;
        while i < names.len() {
            if i > 0 {
                self = self.str(", ");
            }
            if !table.is_empty() {
                self = self.str(table).str(".");
            }
            self = self.str(names[i]);
            i += 1;
        }
        self
    }
}

/// The SQL text the parts make, as bytes; `N` must be [`sql_len`] of the parts.
///
/// # Panics
///
/// When `N` is not the parts' length; evaluated in a `const`, that is a compile error.
#[must_use]
pub const fn sql_bytes<const N: usize>(parts: &[Part]) -> [u8; N] {
    let mut buf = Buf {
        bytes: [0; N],
        at: 0,
    };
    let mut i = 0;
    while i < parts.len() {
        buf = match parts[i] {
            Part::Str(s) => buf.str(s),
            Part::Param(n) => buf.param(n),
            Part::List(names) => buf.list("", names),
            Part::QualifiedList(table, names) => buf.list(table, names),
            Part::Rows {
                first,
                width,
                count,
            } => {
                let mut j = 0;
                while j < count * width {
                    if j % width == 0 {
                        buf = buf.str(if j == 0 { "(" } else { "), (" });
                    } else {
                        buf = buf.str(", ");
                    }
                    buf = buf.param(first + j);
                    j += 1;
                }
                if count * width > 0 {
                    buf = buf.str(")");
                }
                buf
            }
        };
        i += 1;
    }
    assert!(buf.at == N, "sql length mismatch");
    buf.bytes
}

/// The bytes as text.
///
/// # Panics
///
/// When the bytes are not UTF-8, which cannot happen for bytes made from `&str` parts;
/// evaluated in a `const`, that is a compile error.
#[must_use]
pub const fn sql_str(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("sql is not utf-8"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTS: &[Part] = &[
        Part::Str("INSERT INTO t ("),
        Part::List(&["a", "\"order\""]),
        Part::Str(") VALUES "),
        Part::Rows {
            first: 1,
            width: 2,
            count: 6,
        },
        Part::Str(" RETURNING "),
        Part::QualifiedList("t", &["a"]),
        Part::Str(" -- "),
        Part::Param(13),
    ];
    const LEN: usize = sql_len(PARTS);
    const BYTES: [u8; LEN] = sql_bytes::<LEN>(PARTS);
    const SQL: &str = sql_str(&BYTES);

    #[test]
    fn parts_join_at_compile_time() {
        assert_eq!(
            SQL,
            "INSERT INTO t (a, \"order\") VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), \
             ($9, $10), ($11, $12) RETURNING t.a -- $13"
        );
        assert_eq!(
            sql_len(&[Part::Rows {
                first: 1,
                width: 0,
                count: 3
            }]),
            0
        );
        assert_eq!(sql_len(&[Part::Param(100)]), 4);
    }

    /// The same fns run at run time (the `const` above is evaluated by the compiler, so a
    /// coverage tool sees none of it): `N` is given, the result read back as text.
    fn join<const N: usize>(parts: &[Part]) -> String {
        assert_eq!(sql_len(parts), N);
        let bytes: &'static [u8] = Box::leak(Box::new(sql_bytes::<N>(parts)));
        sql_str(bytes).to_owned()
    }

    #[test]
    fn placeholders_have_every_digit_count() {
        assert_eq!(join::<2>(&[Part::Param(0)]), "$0");
        assert_eq!(join::<2>(&[Part::Param(9)]), "$9");
        assert_eq!(join::<3>(&[Part::Param(10)]), "$10");
        assert_eq!(join::<3>(&[Part::Param(99)]), "$99");
        assert_eq!(join::<4>(&[Part::Param(100)]), "$100");
        assert_eq!(join::<6>(&[Part::Param(65_535)]), "$65535");
        assert_eq!(
            join::<21>(&[Part::Param(usize::MAX)]),
            format!("${}", usize::MAX)
        );
    }

    #[test]
    fn lists_rows_and_text_at_run_time() {
        assert_eq!(join::<0>(&[]), "");
        assert_eq!(join::<0>(&[Part::Str(""), Part::List(&[])]), "");
        assert_eq!(join::<0>(&[Part::QualifiedList("t", &[])]), "");
        assert_eq!(join::<1>(&[Part::List(&["a"])]), "a");
        assert_eq!(
            join::<20>(&[Part::QualifiedList("\"user\"", &["id", "é"])]),
            "\"user\".id, \"user\".é"
        );
        let rows = |first, width, count| Part::Rows {
            first,
            width,
            count,
        };
        assert_eq!(join::<16>(&[rows(5, 1, 3)]), "($5), ($6), ($7)");
        assert_eq!(join::<14>(&[rows(9, 3, 1)]), "($9, $10, $11)");
        assert_eq!(join::<0>(&[rows(1, 2, 0)]), "");
        assert_eq!(join::<0>(&[rows(1, 0, 4)]), "");
    }

    /// Reference: the same text built with `String` formatting.
    fn reference(parts: &[Part]) -> String {
        let list = |table: &str, names: &[&str]| {
            names
                .iter()
                .map(|n| {
                    if table.is_empty() {
                        (*n).to_owned()
                    } else {
                        format!("{table}.{n}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        parts
            .iter()
            .map(|p| match *p {
                Part::Str(s) => s.to_owned(),
                Part::Param(n) => format!("${n}"),
                Part::List(names) => list("", names),
                Part::QualifiedList(t, names) => list(t, names),
                Part::Rows {
                    first,
                    width,
                    count,
                } => (0..count)
                    .filter(|_| width > 0)
                    .map(|r| {
                        let row: Vec<String> = (0..width)
                            .map(|c| format!("${}", first + r * width + c))
                            .collect();
                        format!("({})", row.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect()
    }

    #[test]
    fn random_parts_match_the_reference() {
        const N: usize = 256;
        const PAD: &str = match core::str::from_utf8(&[b' '; N]) {
            Ok(s) => s,
            Err(_) => panic!(),
        };
        const NAMES: &[&str] = &["id", "\"order\"", "é", "created_at", "x"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % u64::try_from(below).unwrap_or(1)).unwrap_or(0)
        };
        for _ in 0..2_000 {
            let mut parts = Vec::new();
            for _ in 0..next(6) {
                parts.push(match next(5) {
                    0 => Part::Str(NAMES[next(NAMES.len())]),
                    1 => Part::Param(next(1_000_000)),
                    2 => Part::List(&NAMES[..next(NAMES.len() + 1)]),
                    3 => Part::QualifiedList("t", &NAMES[next(NAMES.len())..]),
                    _ => Part::Rows {
                        first: next(20),
                        width: next(4),
                        count: next(4),
                    },
                });
            }
            let want = reference(&parts);
            assert_eq!(sql_len(&parts), want.len(), "{want}");
            if want.len() <= N {
                parts.push(Part::Str(&PAD[want.len()..]));
                assert_eq!(join::<N>(&parts), format!("{want}{}", &PAD[want.len()..]));
            }
        }
    }

    #[test]
    #[should_panic(expected = "sql length mismatch")]
    fn a_wrong_length_is_refused() {
        let _ = sql_bytes::<3>(&[Part::Param(1)]);
    }

    #[test]
    #[should_panic(expected = "sql is not utf-8")]
    fn bytes_that_are_not_text_are_refused() {
        let _ = sql_str(&[0xff, 0xfe]);
    }
}
