//! The macros expanded in-process, through the same entry functions the `#[proc_macro]`
//! functions call: the SQL each statement assembles, and the message of every compile error.
//! (The ui-tests check the same errors through rustc, with their spans.)

use proc_macro2::{TokenStream, TokenTree};

/// The messages of the `compile_error!`s in `out`, in order.
fn errors(out: &TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    collect_errors(out.clone(), &mut found);
    found
}

fn collect_errors(tokens: TokenStream, found: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Ident(id) if id == "compile_error" => {
                if let Some(TokenTree::Group(g)) = tokens.get(i + 2) {
                    let lit: syn::LitStr = syn::parse2(g.stream()).expect("a message literal");
                    found.push(lit.value());
                }
            }
            TokenTree::Group(g) => collect_errors(g.stream(), found),
            _ => {}
        }
    }
}

/// The SQL that `out` assembles at compile time, with the derive's constants written as
/// `{User}` (a table's name) and `{User::id}` (a column's name), parameters as `$n`.
fn sql(out: &TokenStream) -> String {
    let parts = find_parts(out.clone()).expect("a `const PARTS` in the expansion");
    let syn::Expr::Reference(r) = parts else {
        panic!("PARTS is not a reference to an array")
    };
    let syn::Expr::Array(items) = *r.expr else {
        panic!("PARTS is not an array")
    };
    items.elems.iter().map(render_part).collect()
}

fn find_parts(tokens: TokenStream) -> Option<syn::Expr> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Ident(id) if id == "PARTS" => {
                let eq = tokens[i..]
                    .iter()
                    .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == '='))?;
                let expr: TokenStream = tokens[i + eq + 1..]
                    .iter()
                    .take_while(|t| !matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
                    .cloned()
                    .collect();
                return syn::parse2(expr).ok();
            }
            TokenTree::Group(g) => {
                if let Some(e) = find_parts(g.stream()) {
                    return Some(e);
                }
            }
            _ => {}
        }
    }
    None
}

fn compact(t: &impl quote::ToTokens) -> String {
    t.to_token_stream().to_string().replace(' ', "")
}

fn last_ident(e: &syn::Expr) -> String {
    match e {
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// One part of the statement: literal text as is, anything computed in braces.
fn render_part(part: &syn::Expr) -> String {
    match part {
        syn::Expr::Call(call) => {
            let args: Vec<&syn::Expr> = call.args.iter().collect();
            match (last_ident(&call.func).as_str(), args.as_slice()) {
                (
                    "Str",
                    [
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }),
                    ],
                ) => s.value(),
                // The cast of a value added to or subtracted from an expression (`::interval`
                // beside a timestamp, nothing beside a number).
                ("Str", [syn::Expr::Call(c)]) if last_ident(&c.func) == "operand_cast" => {
                    "{cast}".to_owned()
                }
                ("Str", [e]) => format!("{{{}}}", value(e)),
                ("Param", [e]) => format!("${}", value(e)),
                (kind, args) => {
                    let args: Vec<String> = args.iter().map(|a| value(a)).collect();
                    format!("{{{kind}:{}}}", args.join(","))
                }
            }
        }
        syn::Expr::Struct(s) => {
            let fields: Vec<String> = s
                .fields
                .iter()
                .map(|f| format!("{}={}", compact(&f.member), value(&f.expr)))
                .collect();
            let name = s
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            format!("{{{name}:{}}}", fields.join(","))
        }
        other => format!("{{?{}}}", compact(other)),
    }
}

/// A value computed at compile time: `User` for a table's name, `User::id` for a column's.
fn value(e: &syn::Expr) -> String {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_digits().to_owned(),
        syn::Expr::Binary(b) => match (
            value(&b.left).parse::<usize>(),
            value(&b.right).parse::<usize>(),
        ) {
            (Ok(l), Ok(r)) => (l + r).to_string(),
            _ => compact(e),
        },
        syn::Expr::Reference(r) => value(&r.expr),
        syn::Expr::Path(p) => match (&p.qself, p.path.segments.last()) {
            (Some(q), Some(last)) if last.ident == "SQL_NAME" => compact(&q.ty),
            (Some(q), Some(last)) => format!("{}::{}", compact(&q.ty), last.ident),
            _ => compact(p),
        },
        syn::Expr::Call(c) => {
            let args: Vec<String> = c.args.iter().map(value).collect();
            match (last_ident(&c.func).as_str(), args.as_slice()) {
                ("col", [column]) => column.clone(),
                ("col_table", [column]) => column
                    .rsplit_once("::")
                    .map_or_else(String::new, |(t, _)| t.to_owned()),
                (f, args) => format!("{f}({})", args.join(",")),
            }
        }
        syn::Expr::MethodCall(m) => format!("{}.{}", value(&m.receiver), m.method),
        other => compact(other),
    }
}

fn select(src: &str) -> TokenStream {
    crate::query::select::expand(syn::parse_str(src).expect("tokens"))
}
fn insert(src: &str) -> TokenStream {
    crate::query::insert::expand(syn::parse_str(src).expect("tokens"))
}
fn update(src: &str) -> TokenStream {
    crate::query::update::expand(syn::parse_str(src).expect("tokens"))
}
fn delete(src: &str) -> TokenStream {
    crate::query::delete::expand(syn::parse_str(src).expect("tokens"))
}

fn from_row(src: &str) -> TokenStream {
    crate::from_row::expand(syn::parse_str(src).expect("tokens"))
}
fn pg_enum(src: &str) -> TokenStream {
    crate::pg_enum::expand(syn::parse_str(src).expect("tokens"))
}
fn table(src: &str) -> TokenStream {
    crate::table::expand(syn::parse_str(src).expect("tokens"))
}
fn cache_keys(src: &str) -> TokenStream {
    crate::cache_key::expand(syn::parse_str(src).expect("tokens"))
}

fn test_attr(args: &str, item: &str) -> TokenStream {
    crate::test_attr::expand(
        syn::parse_str(args).expect("tokens"),
        syn::parse_str(item).expect("tokens"),
    )
}
fn embed(src: &str) -> TokenStream {
    crate::embed_migrations::expand(syn::parse_str(src).expect("tokens"))
}

/// Asserts that every `(input, sql)` expands without error to that SQL.
fn assert_sql(expand: fn(&str) -> TokenStream, cases: &[(&str, &str)]) {
    for (src, want) in cases {
        let out = expand(src);
        assert_eq!(errors(&out), Vec::<String>::new(), "{src}");
        assert_eq!(sql(&out), *want, "{src}");
    }
}

/// Asserts that every `(input, messages)` expands to exactly those compile errors.
fn assert_errors(expand: fn(&str) -> TokenStream, cases: &[(&str, &[&str])]) {
    for (src, want) in cases {
        assert_eq!(errors(&expand(src)), *want, "{src}");
    }
}

#[test]
fn select_assembles_its_sql() {
    assert_sql(
        select,
        &[
            (
                "id, name from User where id = 5 order by name limit 3",
                "SELECT {User::id}, {User::name} FROM {User} WHERE {User::id} = $1 \
                 ORDER BY {User::name} LIMIT 3",
            ),
            (
                "User where not id = 1 offset 10",
                "SELECT {List:User::COLUMNS} FROM {User} WHERE NOT {User::id} = $1 OFFSET 10",
            ),
            (
                "Row { id, name } from User where name ilike q",
                "SELECT {User::id}, {User::name} FROM {User} WHERE {User::name} ILIKE $1",
            ),
            // With a join every column is qualified by its table.
            (
                "User left join Post on Post::user_id = User::id \
                 where (name = n or not email like p) and age between 1 and 9 \
                 and bio is not null and id in (a, b) and id not in ids \
                 order by name asc nulls last, id desc nulls first limit n offset o",
                "SELECT {QualifiedList:User,User::COLUMNS} FROM {User} LEFT JOIN {Post} \
                 ON {Post}.{Post::user_id} = {User}.{User::id} \
                 WHERE ({User}.{User::name} = $1 OR NOT {User}.{User::email} LIKE $2) \
                 AND {User}.{User::age} BETWEEN $3 AND $4 AND {User}.{User::bio} IS NOT NULL \
                 AND {User}.{User::id} IN ($5, $6) AND NOT ({User}.{User::id} = ANY($7)) \
                 ORDER BY {User}.{User::name} NULLS LAST, {User}.{User::id} DESC NULLS FIRST \
                 LIMIT $8 OFFSET $9",
            ),
            (
                "User inner join Post on Post::user_id = User::id and Post::id = User::id \
                 where User::id <> 1 and id < 2 and id <= 3 and id > 4 and id >= 5 and name is null",
                "SELECT {QualifiedList:User,User::COLUMNS} FROM {User} JOIN {Post} \
                 ON {Post}.{Post::user_id} = {User}.{User::id} AND {Post}.{Post::id} = {User}.{User::id} \
                 WHERE {User}.{User::id} <> $1 AND {User}.{User::id} < $2 AND {User}.{User::id} <= $3 \
                 AND {User}.{User::id} > $4 AND {User}.{User::id} >= $5 AND {User}.{User::name} IS NULL",
            ),
            // `sum` and `avg` cast to the type their result is read as.
            (
                "distinct status, count(*), sum(age), avg(age), min(Post::id), max(Post::id) \
                 from User join Post on Post::user_id = User::id group by status \
                 having count(*) > 2 order by count(*) desc",
                "SELECT DISTINCT {User}.{User::status}, count(*), \
                 sum({User}.{User::age}){sum_info(User::age).cast}, \
                 avg({User}.{User::age}){avg_info(User::age).cast}, \
                 min({Post}.{Post::id}), max({Post}.{Post::id}) \
                 FROM {User} JOIN {Post} ON {Post}.{Post::user_id} = {User}.{User::id} \
                 GROUP BY {User}.{User::status} HAVING count(*) > $1 ORDER BY count(*) DESC",
            ),
        ],
    );
}

#[test]
#[allow(clippy::too_many_lines, reason = "a table of cases, one per mistake")]
fn select_names_each_mistake() {
    let order = "expected `where`, `join`, `group by`, `having`, `order by`, `limit`, `offset` or \
                 the end of the query (in this order)";
    assert_errors(
        select,
        &[
            (
                "id, name User",
                &["expected `from` and a table after the selected columns"],
            ),
            (
                "Row { id } User",
                &["expected `from` and a table after the struct's columns"],
            ),
            ("User where id == 1", &["SQL compares with `=`, not `==`"]),
            ("User where id = 1 limit 2 order by id", &[order]),
            (
                "sum(*) from User",
                &["`sum(*)` is not SQL; name a column: `sum(column)`"],
            ),
            (
                "count(id id) from User",
                &["expected `)`: `count` takes one column or expression"],
            ),
            (
                "User where id is 1",
                &["expected `null` after `is` (write `is null` or `is not null`)"],
            ),
            (
                "User where id in ()",
                &["unexpected end of input, expected at least one value in the list"],
            ),
            (
                "User where id between 1 or 2",
                &["expected `and` between the bounds of `between`"],
            ),
            (
                "User where not id ~ 1",
                &[
                    "expected a comparison after the column: `=`, `<>`, `<`, `<=`, `>`, `>=`, `is null`, \
                 `in`, `like`, `ilike` or `between`",
                ],
            ),
            (
                "User where id = ",
                &["unexpected end of input, expected a value (a Rust expression) here"],
            ),
            (
                "User order by Post",
                &["expected a column or an aggregate to order by, found a table"],
            ),
            (
                "User order by id nulls middle",
                &["expected `last` or `first` after `nulls`"],
            ),
            (
                "User join Post on Post::id",
                &["unexpected end of input, expected `=`: a join matches two columns"],
            ),
            ("User left Post", &["expected `join` after `left`"]),
            ("User inner Post", &["expected `join` after `inner`"]),
            ("User order id", &["expected `by` after `order`"]),
            ("User group id", &["expected `by` after `group`"]),
            (
                "3 from User",
                &[
                    "expected a column (`status`, `User::status`), a table (`User`) or an aggregate (`count(*)`)",
                ],
            ),
            (
                "User where User = 1",
                &["expected a column, such as `status` or `User::status`, found a table"],
            ),
            (
                "User where id = 1 and 1 = id",
                &["expected a column, such as `status` or `User::status`"],
            ),
            (
                "User where count(*) > 1",
                &[
                    "an aggregate cannot be in `where`, which filters rows before they are grouped; \
                 write it in `having` after `group by`",
                ],
            ),
            (
                "User where Post::id = 1",
                &[
                    "`Post` is not a table of this query, which reads `User`; join it first, or use a \
                 column of `User`",
                ],
            ),
            (
                "User join Post on Post::id = User::id where Comment::id = 1",
                &["`Comment` is not a table of this query; its tables are `User`, `Post`"],
            ),
            // A syntax mistake and a foreign table after it: both reported in one compile.
            (
                "User where id == 1 order by Post::id",
                &[
                    "SQL compares with `=`, not `==`",
                    "`Post` is not a table of this query, which reads `User`; join it first, or use a \
                 column of `User`",
                ],
            ),
        ],
    );
    // After a mistake the query is still written, so the code around it type-checks.
    let out = select("User where id == 1 limit 5");
    assert!(out.to_string().contains("Query :: __new"), "{out}");
    assert_eq!(sql(&out), "SELECT {List:User::COLUMNS} FROM {User} LIMIT 5");
}

#[test]
fn insert_update_and_delete_assemble_their_sql() {
    assert_sql(
        insert,
        &[
            (
                "into User values row",
                "INSERT INTO {User} ({List:User::INSERT_COLUMNS}) VALUES \
                 {Rows:first=1,width=User::INSERT_WIDTH,count=1}",
            ),
            (
                "into User (id, name) values (1, n) returning id",
                "INSERT INTO {User} ({User::id}, {User::name}) VALUES ($1, $2) RETURNING {User::id}",
            ),
            (
                "into User set id = 1, name = n on conflict do nothing returning User",
                "INSERT INTO {User} ({User::id}, {User::name}) VALUES ($1, $2) ON CONFLICT DO NOTHING \
                 RETURNING {List:User::COLUMNS}",
            ),
            (
                "into User (id, email) values (1, e) on conflict (email) \
                 do update set name = excluded.name, age = 3",
                "INSERT INTO {User} ({User::id}, {User::email}) VALUES ($1, $2) ON CONFLICT ({User::email}) \
                 DO UPDATE SET {User::name} = EXCLUDED.{User::name}, {User::age} = $3",
            ),
        ],
    );
    assert_sql(
        update,
        &[
            (
                "User set name = n, age = 2 where id = 1 returning id, name",
                "UPDATE {User} SET {User::name} = $1, {User::age} = $2 WHERE {User::id} = $3 \
                 RETURNING {User::id}, {User::name}",
            ),
            (
                "User set name = n where all",
                "UPDATE {User} SET {User::name} = $1",
            ),
        ],
    );
    assert_sql(
        delete,
        &[
            (
                "from User where id = 1 returning User",
                "DELETE FROM {User} WHERE {User::id} = $1 RETURNING {List:User::COLUMNS}",
            ),
            ("from User where all", "DELETE FROM {User}"),
        ],
    );
}

#[test]
fn insert_update_and_delete_name_each_mistake() {
    let end = "expected `where`, `returning` or the end of the statement";
    assert_errors(
        insert,
        &[
            (
                "User values row",
                &["expected `into` first: `insert!(into User values row)`"],
            ),
            (
                "into User row",
                &[
                    "expected `values` after the table: `values row`, `(col, ...) values (value, ...)` \
                 or `set col = value, ...`",
                ],
            ),
            (
                "into User (id) values 1",
                &["expected a row of values in parentheses: `(a, b)`"],
            ),
            (
                "into User set id = excluded.id",
                &["`excluded.column` only means something in `on conflict do update set`"],
            ),
            (
                "into User set id = 1 on duplicate",
                &["expected `conflict` after `on`"],
            ),
            (
                "into User set id = 1 on conflict skip",
                &["expected `do` after `on conflict`: `do nothing` or `do update set ...`"],
            ),
            (
                "into User set id = 1 on conflict do update set id = 2",
                &[
                    "`do update` needs the conflicting columns: `on conflict (email) do update set ...`",
                ],
            ),
            (
                "into User set id = 1 on conflict do nothing extra",
                &["expected `on conflict`, `returning` or the end of the statement"],
            ),
            (
                "into User set id = 1 on conflict do frob",
                &["expected `update` or `nothing` after `do`"],
            ),
            (
                "into User set id 1",
                &["expected `=` and the column's new value"],
            ),
            (
                "into User (id, name) values (1)",
                &["this row has 1 value for 2 columns"],
            ),
        ],
    );
    assert_errors(
        update,
        &[
            (
                "User set name = n",
                &[
                    "`update!` without `where` would change every row of `User`; add `where <condition>`, \
                 or write `where all` if you mean every row",
                ],
            ),
            (
                "User name = n where id = 1",
                &["expected `set` after the table: `update!(User set column = value where ...)`"],
            ),
            ("User set name = n where id = 1 limit 3", &[end]),
        ],
    );
    assert_errors(
        delete,
        &[
            (
                "User where id = 1",
                &["expected `from` first: `delete!(from User where ...)`"],
            ),
            (
                "from User",
                &[
                    "`delete!` without `where` would delete every row of `User`; add `where <condition>`, \
                 or write `where all` if you mean every row",
                ],
            ),
            ("from User where id = 1 order by id", &[end]),
        ],
    );
}

#[test]
fn derives_name_each_mistake() {
    assert_errors(
        from_row,
        &[
            (
                "struct R<T> { a: T }",
                &["a `FromRow` struct cannot be generic"],
            ),
            (
                "enum R { A }",
                &["`#[derive(FromRow)]` works on a struct with one field per selected column"],
            ),
        ],
    );
    assert_errors(
        pg_enum,
        &[
            ("enum S<T> { A(T) }", &["a `PgEnum` cannot be generic"]),
            (
                r#"#[pg_enum(nme = "s")] enum S { A, #[pg_enum(rename = "a")] B, #[pg_enum(frob)] C }"#,
                &[
                    "unknown attribute here; the valid one is `name = \"...\"` on the enum",
                    "duplicate label `a`: variant `A` already has it",
                    "unknown attribute here; the valid one is `rename = \"...\"` on a variant",
                ],
            ),
            (
                "struct S;",
                &[
                    "`#[derive(PgEnum)]` works on an enum of unit variants, one per label of the PostgreSQL enum",
                ],
            ),
        ],
    );
    assert_errors(
        table,
        &[
            (
                "struct U;",
                &[
                    "`#[derive(Table)]` needs a struct with named fields, one per column; this is a unit struct",
                ],
            ),
            (
                "struct U(i32);",
                &[
                    "`#[derive(Table)]` needs a struct with named fields, one per column; this is a tuple struct",
                ],
            ),
            (
                "enum U { A }",
                &[
                    "`#[derive(Table)]` works on a struct with named fields, not on an enum; to store a Rust \
             enum in a PostgreSQL enum column use `#[derive(PgEnum)]`",
                ],
            ),
            (
                "struct U<T> { a: T }",
                &["a table struct cannot be generic: each column needs one Rust type"],
            ),
            (
                r#"#[table(name = "")] struct U { a: i32 }"#,
                &["a name cannot be empty"],
            ),
            (
                r#"#[table(cache = "Bad Prefix")] struct U { a: i32 }"#,
                &[
                    "`cache` builds the key from the primary key, so it needs exactly one \
             `#[column(primary_key)]` field; this table has 0",
                    "invalid cache key prefix: it contains ' '; whitespace and control characters are not allowed",
                ],
            ),
            (
                "struct U { a: (i32, i32), b: [u8; 4], c: fn() }",
                &[
                    "unsupported column type: a tuple; use one field per column",
                    "unsupported column type: a fixed-size array; use `Vec<T>` for a PostgreSQL array",
                    "unsupported column type: a function pointer",
                ],
            ),
        ],
    );
}

#[test]
fn derives_write_what_the_runtime_reads() {
    let out = pg_enum(
        r#"#[pg_enum(name = "ride_status")] enum S { Active, #[pg_enum(rename = "held")] OnHold }"#,
    )
    .to_string();
    assert!(out.contains(r#"S :: Active { .. } => "active""#), "{out}");
    assert!(out.contains(r#"S :: OnHold { .. } => "held""#), "{out}");
    assert!(out.contains(r#"is_enum (ty , "ride_status")"#), "{out}");
    assert!(
        out.contains(r#"unknown_label ("ride_status" , other)"#),
        "{out}"
    );
    // Without a name, the enum's name in snake_case.
    assert!(
        pg_enum("enum RideStatus { A }")
            .to_string()
            .contains(r#""ride_status""#)
    );

    let out = from_row("struct R { a: i32, b: Option<String> }").to_string();
    assert!(out.contains("const WIDTH : usize = 2usize"), "{out}");
    assert!(out.contains("read (row , start + 1usize)"), "{out}");
    assert!(
        out.contains("FromColumns < (i32 , Option < String > ,) > for R"),
        "{out}"
    );

    let out = cache_keys(r#"pub fn user(id: u64) -> User = "svc:user:{id}";"#).to_string();
    assert!(out.contains(r#"literal ("svc:user:")"#), "{out}");
    assert!(out.contains(r#"param ("id" , & id)"#), "{out}");
    assert!(
        out.contains("-> :: txova_db :: redis :: CacheKey < User >"),
        "{out}"
    );
}

#[test]
fn cache_keys_name_each_mistake() {
    assert_errors(
        cache_keys,
        &[
            (
                r#"fn a(id: u64) -> U = "user:{idd}";"#,
                &[
                    "`{idd}` in cache key template `user:{idd}` names no parameter of `a`; add a parameter \
             `idd` or fix the name",
                    "parameter `id` is not used in cache key template `user:{idd}`; add `{id}` to it or remove \
             the parameter",
                ],
            ),
            (
                r#"fn a() -> U = "User Profile:x";"#,
                &[
                    "segment `User Profile` of cache key template `User Profile:x` is not a name: it contains \
             ' '; whitespace and control characters are not allowed",
                ],
            ),
            (
                r#"fn a(id: u64) -> U = "user:{id";"#,
                &[
                    "segment `{id` of cache key template `user:{id` mixes text and a placeholder; a \
             placeholder must be a whole segment, like `page:{page}`",
                    "parameter `id` is not used in cache key template `user:{id`; add `{id}` to it or remove \
             the parameter",
                ],
            ),
            ("fn a(id: u64) -> U;", &["expected `=`"]),
        ],
    );
}

#[test]
fn test_attribute_and_embedded_migrations_name_their_mistakes() {
    assert_eq!(
        errors(&test_attr("", "fn t() {}")),
        ["#[txova_db::test] goes on an `async fn`"]
    );
    assert_eq!(
        errors(&test_attr("", "async fn t(a: Pool, b: u8) {}")),
        ["a #[txova_db::test] function takes one argument, the `Pool`, or none"]
    );
    assert_eq!(
        errors(&test_attr("migrations = 3", "async fn t() {}")),
        ["expected `\"path\"` or `false` after `migrations =`"]
    );
    assert_eq!(
        errors(&test_attr("migrations = false", "async fn t() {}")),
        Vec::<String>::new()
    );
    let e = errors(&embed("migrations"));
    assert_eq!(
        e[0],
        "expected the migrations folder as a string literal, like embed_migrations!(\"migrations\")"
    );
    let e = errors(&embed(r#""no/such/folder""#));
    assert!(
        e[0].starts_with("cannot read the migrations folder `"),
        "{e:?}"
    );
}

#[test]
fn expressions_assemble_their_sql() {
    assert_sql(
        select,
        &[
            (
                "upper(name), coalesce(bio, name), length(email), (age * 2 + 1) from User \
                 where lower(name) != x and age < User::age + 1 and created_at <= now() \
                 order by id",
                "SELECT upper({User::name}), coalesce({User::bio}, {User::name}), \
                 length({User::email}), ({User::age} * $1 + $2{cast}) FROM {User} \
                 WHERE lower({User::name}) <> $3 AND {User::age} < {User::age} + $4{cast} \
                 AND {User::created_at} <= now() ORDER BY {User::id}",
            ),
            (
                "Shout { name, upper(name) as shout } from User order by name",
                "SELECT {User::name}, upper({User::name}) AS shout FROM {User} \
                 ORDER BY {User::name}",
            ),
            // A function on the value side takes a bound value.
            (
                "name from User where lower(name) = upper(x)",
                "SELECT {User::name} FROM {User} WHERE lower({User::name}) = upper($1)",
            ),
        ],
    );
    assert_sql(
        update,
        &[
            // On the value side a plain Rust expression (`by * 2`) is one bound value; a
            // column is written with its table.
            (
                "User set age = User::age + by * 2 where name = name returning age",
                "UPDATE {User} SET {User::age} = {User::age} + $1{cast} WHERE {User::name} = $2 \
                 RETURNING {User::age}",
            ),
            (
                "User set bio = coalesce(User::bio, User::name) where all returning bio",
                "UPDATE {User} SET {User::bio} = coalesce({User::bio}, {User::name}) \
                 RETURNING {User::bio}",
            ),
        ],
    );
}

#[test]
fn functions_are_known_by_name_and_arity() {
    assert_errors(
        select,
        &[
            ("coalesce(bio) from User", &["`coalesce` takes 2 arguments"]),
            ("lower(a, b) from User", &["`lower` takes 1 argument"]),
            ("now(1) from User", &["`now` takes 0 arguments"]),
            // Names outside the library are functions declared with `sql_function!`, which
            // rustc resolves; the shape inside is still checked.
            (
                "foo(name == 1) from User",
                &["SQL compares with `=`, not `==`"],
            ),
        ],
    );
}

#[test]
fn grouping_and_struct_fields_are_checked() {
    assert_errors(
        select,
        &[
            (
                "status from Ride having count(*) > 1",
                &[
                    "column `status` must be in `group by` or inside an aggregate (such as \
                   `max(status)`): the query groups its rows, and `status` has no single value \
                   per group",
                ],
            ),
            (
                "S { Ride } from Ride",
                &[
                    "a struct's fields are filled by columns of the same name; select columns \
                   here, not a whole table",
                ],
            ),
            (
                "S { count(*) } from Ride",
                &["name the field this `count` fills: `count(...) as field_name`"],
            ),
            (
                "S { name, User::name } from User",
                &["field `name` is filled twice; rename one with `as other_name`"],
            ),
            (
                "S { lower(name) } from User",
                &["name the field this expression fills: `<expression> as field_name`"],
            ),
            (
                "name from User where lower(name) % x",
                &["expected a comparison: `=`, `<>`, `<`, `<=`, `>`, `>=`"],
            ),
            (
                "name from User where lower(name) + 1",
                &["expected a comparison: `=`, `<>`, `<`, `<=`, `>`, `>=`"],
            ),
            (
                "name from User where name not = x",
                &["expected `in`, `like`, `ilike` or `between` after `not`"],
            ),
        ],
    );
}

#[test]
fn comparisons_aggregates_and_returning_assemble_their_sql() {
    assert_sql(
        select,
        &[
            // Columns that the grouping rule leaves to the primary key are checked by the
            // compiler (`key_grouped`), not refused here.
            (
                "status, pickup, count(*) from Ride group by status",
                "SELECT {Ride::status}, {Ride::pickup}, count(*) FROM {Ride} \
                 GROUP BY {Ride::status}",
            ),
            (
                "S { count(*) as n, sum(age) as s, avg(age) as a, min(age) as lo, \
                 max(age) as hi, status } from User group by status",
                "SELECT count(*) AS n, sum({User::age}){sum_info(User::age).cast} AS s, \
                 avg({User::age}){avg_info(User::age).cast} AS a, min({User::age}) AS lo, \
                 max({User::age}) AS hi, {User::status} FROM {User} GROUP BY {User::status}",
            ),
            (
                "name from User where lower(name) < x and upper(name) >= y \
                 and length(name) > 1 and length(name) <= 2 and lower(name) != z",
                "SELECT {User::name} FROM {User} WHERE lower({User::name}) < $1 \
                 AND upper({User::name}) >= $2 AND length({User::name}) > $3 \
                 AND length({User::name}) <= $4 AND lower({User::name}) <> $5",
            ),
            (
                "name from User where name not like x and name not ilike y and name ilike z",
                "SELECT {User::name} FROM {User} WHERE {User::name} NOT LIKE $1 \
                 AND {User::name} NOT ILIKE $2 AND {User::name} ILIKE $3",
            ),
            (
                "status from User group by status having sum(age) > a and min(age) < b \
                 and max(age) >= c and avg(age) <= d and count(*) <> e",
                "SELECT {User::status} FROM {User} GROUP BY {User::status} \
                 HAVING sum({User::age}){sum_info(User::age).cast} > $1 \
                 AND min({User::age}) < $2 AND max({User::age}) >= $3 \
                 AND avg({User::age}){avg_info(User::age).cast} <= $4 AND count(*) <> $5",
            ),
            (
                "name from User where (lower(name) = x or name = y)",
                "SELECT {User::name} FROM {User} WHERE (lower({User::name}) = $1 \
                 OR {User::name} = $2)",
            ),
        ],
    );
    assert_sql(
        update,
        &[(
            "User set name = x where id = 1 returning *",
            "UPDATE {User} SET {User::name} = $1 WHERE {User::id} = $2 \
             RETURNING {List:User::COLUMNS}",
        )],
    );
    assert_sql(
        delete,
        &[(
            "from User where id = 1 returning *",
            "DELETE FROM {User} WHERE {User::id} = $1 RETURNING {List:User::COLUMNS}",
        )],
    );
}

#[test]
fn table_derive_refusals_and_visibility() {
    assert_errors(
        table,
        &[
            (
                "union U { a: i32 }",
                &["`#[derive(Table)]` works on a struct with named fields, not on a union"],
            ),
            (
                "struct U {}",
                &["a table needs at least one field (column)"],
            ),
            (
                "struct U { a: [u8], c: *const u8, d: (i32), e: impl Copy }",
                &[
                    "unsupported column type: a slice; use `Vec<T>` for a PostgreSQL array",
                    "unsupported column type: a raw pointer",
                    "unsupported column type: a trait type; use a concrete type",
                ],
            ),
            (
                r#"#[table(cache = "svc:bad prefix")] pub struct R { #[column(primary_key)] pub id: i64 }"#,
                &[
                    "invalid cache key prefix: it contains ' '; whitespace and control characters are not allowed",
                ],
            ),
            (
                "struct U { #[column(name = 3)] a: i32 }",
                &["expected string literal"],
            ),
            (
                "struct U { #[column(frob)] a: i32 }",
                &[
                    "unknown column attribute `frob`; the valid ones are `name = \"...\"`, \
                   `primary_key` and `default`",
                ],
            ),
            (
                "#[table(name = 3)] struct U { a: i32 }",
                &["expected string literal"],
            ),
            (
                r#"#[table(frob = "x")] struct U { a: i32 }"#,
                &[
                    "unknown table attribute `frob`; the valid ones are `name = \"...\"`, \
                   `schema = \"...\"`, `cache` and `cache = \"...\"`",
                ],
            ),
            (
                r#"struct U { #[column(name = "")] a: i32 }"#,
                &["a name cannot be empty"],
            ),
            ("struct U { r#type: i32 }", &[]),
        ],
    );
    // The column handles are as visible as the table, seen from inside the derive's module.
    let out = table(
        r#"#[table(name = "rides", schema = "billing")] pub(crate) struct Ride {
            #[column(primary_key)] pub id: i64,
            note: Option<String>,
            #[column(default)] created: i64,
        }"#,
    )
    .to_string();
    for want in [
        "pub (crate) mod __txova_table_Ride",
        "pub (in crate) struct id ;",
        "pub (in crate) struct note ;",
        "pub (crate) const note",
        r#"const SQL_NAME : & 'static str = "billing.rides""#,
        r#"const INSERT_COLUMNS : & 'static [& 'static str] = & ["id" , "note"]"#,
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    for (vis, want) in [
        ("pub(self)", "pub (in super :: super) struct id ;"),
        ("pub(in crate::m)", "pub (in crate :: m) struct id ;"),
        (
            "pub(in self::m)",
            "pub (in super :: super :: m) struct id ;",
        ),
        ("pub(super)", "pub (in super :: super :: super) struct id ;"),
        ("", "pub (in super :: super) struct id ;"),
    ] {
        let out = table(&format!("{vis} struct Ride {{ id: i64 }}")).to_string();
        assert!(out.contains(want), "{vis}: {want}\n{out}");
    }
    // A cache key built from the primary key.
    let out = table(
        r#"#[table(cache = "svc:ride")] pub struct Ride { #[column(primary_key)] pub id: i64 }"#,
    )
    .to_string();
    assert!(out.contains("type Key = i64 ;"), "{out}");
}

#[test]
fn test_attribute_arguments() {
    let out = test_attr(
        r#"migrations = "db/migrations""#,
        "async fn t(pool: Pool) {}",
    );
    assert_eq!(errors(&out), Vec::<String>::new());
    let out = out.to_string();
    assert!(out.contains("Migrations :: Path"), "{out}");
    assert!(out.contains(r#""/" , "db/migrations""#), "{out}");
    // A trailing comma is fine; anything else after the argument is not.
    assert_eq!(
        errors(&test_attr(r#"migrations = "x", "#, "async fn t() {}")),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&test_attr(r#"migrations = "x" extra"#, "async fn t() {}")),
        ["expected `,`"]
    );
    assert_eq!(
        errors(&test_attr("frob = 1", "async fn t() {}")),
        [
            "unknown argument `frob`; the one argument is `migrations = \"path\"` or \
          `migrations = false`"
        ]
    );
    // A tuple struct reads its columns in order.
    let out = from_row("struct R(i32, String);").to_string();
    assert!(
        out.contains("Ok (R ((& :: txova_db :: __private :: Field :: < i32 >"),
        "{out}"
    );
}

#[test]
fn second_generation_expressions_assemble_their_sql() {
    assert_sql(
        select,
        &[
            (
                "case when age > 1 then name else bio end, cast(age as int8), \
                 nullif(age, 0), name || \"!\" from User",
                "SELECT CASE WHEN {User::age} > $1 THEN {User::name} ELSE {User::bio} END, \
                 CAST({User::age} AS int8), nullif({User::age}, $2), {User::name} || $3 \
                 FROM {User}",
            ),
            (
                "count(distinct age), string_agg(name, \",\"), array_agg(age), \
                 bool_or(age > 1) from User",
                "SELECT count(DISTINCT {User::age}), string_agg({User::name}, $1), \
                 array_agg({User::age}), bool_or({User::age} > $2) FROM {User}",
            ),
            (
                "date_trunc(\"day\", created_at), extract(year from created_at) from User \
                 where created_at > now() - ttl",
                "SELECT date_trunc($1, {User::created_at}), EXTRACT(year FROM \
                 {User::created_at}) FROM {User} WHERE {User::created_at} > now() - $2{cast}",
            ),
            (
                "age / 2 from User group by age / 2 order by age / 2",
                "SELECT {User::age} / $1 FROM {User} GROUP BY {User::age} / $1 \
                 ORDER BY {User::age} / $1",
            ),
            (
                "id from User where exists (select Post::id from Post \
                 where Post::user_id = User::id) and id in (select user_id from Post)",
                "SELECT {User::id} FROM {User} WHERE EXISTS (SELECT {Post}.{Post::id} \
                 FROM {Post} WHERE {Post}.{Post::user_id} = {User}.{User::id}) \
                 AND {User::id} IN (SELECT {Post}.{Post::user_id} FROM {Post})",
            ),
        ],
    );
    assert_errors(
        select,
        &[
            (
                "cast(age as txt) from User",
                &[
                    "unknown SQL type `txt` in `cast`; the types are `text`, `varchar`, `bool`, \
                   `boolean`, `int2`, `smallint`, `int4`, `int`, `integer`, `int8`, `bigint`, \
                   `float4`, `real`, `float8`, `numeric`, `decimal`, `date`, `timestamp`, \
                   `timestamptz`",
                ],
            ),
            ("nullif(age) from User", &["`nullif` takes 2 arguments"]),
            (
                "string_agg(name) from User",
                &["`string_agg` takes 2 arguments"],
            ),
            (
                "case when age > 1 then 2 from User",
                &[
                    "`case` without `end`: write `case when <condition> then <expression> \
                   [else <expression>] end`",
                ],
            ),
            (
                "id from User where string_agg(name, \",\") = x",
                &[
                    "an aggregate cannot be in `where`, which filters rows before they are \
                   grouped; write it in `having` after `group by`",
                ],
            ),
        ],
    );
}

#[test]
fn declared_functions_assemble_their_sql() {
    assert_sql(
        select,
        &[
            (
                "initials(name), similarity(name, \"ann\") from User",
                "SELECT {fn_name(initials)}({User::name}), {fn_name(similarity)}({User::name}, $1) FROM {User}",
            ),
            (
                "id from User where initials(name) = x and sql::similarity(name, \"ann\") > 0.5 \
                 order by initials(bio) desc",
                "SELECT {User::id} FROM {User} WHERE {fn_name(initials)}({User::name}) = $1 AND \
                 {fn_name(sql::similarity)}({User::name}, $2) > $3 ORDER BY {fn_name(initials)}({User::bio}) DESC",
            ),
            (
                "initials(name), count(*) from User group by initials(name)",
                "SELECT {fn_name(initials)}({User::name}), count(*) FROM {User} \
                 GROUP BY {fn_name(initials)}({User::name})",
            ),
            // Right of `=` a call with no column is a Rust value.
            (
                "id from User where name = rust_side(x)",
                "SELECT {User::id} FROM {User} WHERE {User::name} = $1",
            ),
            ("pi() from User", "SELECT {fn_name(pi)}() FROM {User}"),
            // Right of `=` a call with a column is SQL.
            (
                "id from User where name = initials(User::bio)",
                "SELECT {User::id} FROM {User} WHERE {User::name} = {fn_name(initials)}({User::bio})",
            ),
            // Where bare names are columns, a Rust variable is borrowed.
            (
                "similarity(name, &q) from User",
                "SELECT {fn_name(similarity)}({User::name}, $1) FROM {User}",
            ),
        ],
    );
    assert_sql(
        insert,
        &[(
            "into User values &u on conflict (email) do update set name = initials(excluded.name)",
            "INSERT INTO {User} ({List:User::INSERT_COLUMNS}) VALUES \
             {Rows:first=1,width=User::INSERT_WIDTH,count=1} ON CONFLICT ({User::email}) \
             DO UPDATE SET {User::name} = {fn_name(initials)}(EXCLUDED.{User::name})",
        )],
    );
    assert_sql(
        update,
        &[(
            "User set name = initials(User::name) || \".\" where id = id",
            "UPDATE {User} SET {User::name} = {fn_name(initials)}({User::name}) || $1 \
             WHERE {User::id} = $2",
        )],
    );
}

#[test]
fn declared_functions_keep_the_grouping_rules() {
    assert_errors(
        select,
        &[
            (
                "initials(name), count(*) from User",
                &[
                    "column `name` must be in `group by` or inside an aggregate (such as \
                   `max(name)`): the query groups its rows, and `name` has no single value \
                   per group",
                ],
            ),
            (
                "id from User where initials(string_agg(name, \",\")) = x",
                &[
                    "an aggregate cannot be in `where`, which filters rows before they are \
                   grouped; write it in `having` after `group by`",
                ],
            ),
            (
                "initials(name == 1) from User",
                &["SQL compares with `=`, not `==`"],
            ),
        ],
    );
}

#[test]
fn declared_functions_are_named_by_their_declaration() {
    let out = crate::sql_function::expand(quote::quote! {
        /// Doc.
        pub fn initials(name: String) -> String;
        fn r#order(x: i32) -> Option<i32>;
        fn Mixed() -> i32;
    });
    assert_eq!(errors(&out), Vec::<String>::new());
    let text = out.to_string();
    assert!(
        text.contains("const NAME : & 'static str = \"initials\""),
        "{text}"
    );
    assert!(
        text.contains("const NAME : & 'static str = \"\\\"order\\\"\""),
        "{text}"
    );
    assert!(
        text.contains("const NAME : & 'static str = \"\\\"Mixed\\\"\""),
        "{text}"
    );
    let out = crate::sql_function::expand(quote::quote! {
        fn a(x: Option<String>) -> String;
        fn b<T>(x: T) -> T;
        fn c(x: i32);
        fn d(self) -> i32;
    });
    assert_eq!(
        errors(&out),
        [
            "declare the argument's type without `Option`: a nullable column is accepted where `T` is declared, and makes the result NULL; declare the result `Option<T>` for a function that may return NULL otherwise",
            "an SQL function has no generic parameters: declare one per argument type",
            "declare the result type: `fn name(arg: String) -> String;`",
            "an SQL function takes no `self`",
        ]
    );
}

#[test]
fn excluded_alone_is_checked_like_inside_an_expression() {
    // Outside `on conflict` it means nothing, alone as much as inside an expression.
    assert_errors(
        update,
        &[
            (
                "User set name = excluded.name where id = 1",
                &["`excluded.column` only means something in `on conflict do update set`"],
            ),
            (
                "User set name = lower(excluded.name) where id = 1",
                &["`excluded.column` only means something in `on conflict do update set`"],
            ),
        ],
    );
    // In `on conflict` it is the proposed row's column, and its type is checked against the
    // target's (`set_expr`), as for any expression.
    let out = insert(
        "into User (name, age) values (n, a) on conflict (name) do update set age = excluded.age",
    );
    assert_eq!(errors(&out), Vec::<String>::new());
    assert!(
        sql(&out).ends_with("DO UPDATE SET {User::age} = EXCLUDED.{User::age}"),
        "{}",
        sql(&out)
    );
    assert!(out.to_string().contains("set_expr"), "{out}");
}

#[test]
fn window_functions_and_ordered_aggregates_assemble_their_sql() {
    assert_sql(
        select,
        &[
            (
                "name, row_number() over (partition by status, lower(name) order by age desc nulls last) from User",
                "SELECT {User::name}, row_number() OVER (PARTITION BY {User::status}, \
                 lower({User::name}) ORDER BY {User::age} DESC NULLS LAST) FROM {User}",
            ),
            (
                "count(*) over (), sum(age) over (rows 3 preceding), lag(name, &n, &d) over (order by id) from User",
                "SELECT count(*) OVER (), sum({User::age}) OVER (ROWS 3 PRECEDING){sum_info(User::age).cast}, \
                 lag({User::name}, $1, $2) OVER (ORDER BY {User::id}) FROM {User}",
            ),
            (
                "sum(age * 2) over (partition by status), max(lower(name)) over () from User",
                "SELECT sum({User::age} * $1) OVER (PARTITION BY {User::status}){sum_of(fn_arg(arith(fn_arg(ty_col(User::age)),base(ty_col(User::age))))).cast}, \
                 max(lower({User::name})) OVER () FROM {User}",
            ),
            (
                "id from User order by rank() over (order by age), id",
                "SELECT {User::id} FROM {User} ORDER BY rank() OVER (ORDER BY {User::age}), {User::id}",
            ),
            (
                "string_agg(name, &sep order by name desc), array_agg(id order by lower(name)) from User",
                "SELECT string_agg({User::name}, $1 ORDER BY {User::name} DESC), \
                 array_agg({User::id} ORDER BY lower({User::name})) FROM {User}",
            ),
        ],
    );
    assert_errors(
        select,
        &[
            (
                "id from User where rank() over (order by id) = 1",
                &[
                    "a window function (`over`) can only be in the select list or `order by` of a \
                   `select`; PostgreSQL computes it after `where`, `group by` and `having`",
                ],
            ),
            (
                "upper(name) over () from User",
                &[
                    "unknown window function `upper`; the window functions are `row_number`, \
                   `rank`, `dense_rank`, `percent_rank`, `cume_dist`, `ntile`, `lag`, `lead`, \
                   `first_value`, `last_value`, `nth_value`, and the aggregates `count`, `sum`, \
                   `avg`, `min`, `max`, `string_agg`, `array_agg`, `bool_and`, `bool_or`",
                ],
            ),
            ("ntile() over () from User", &["`ntile` takes 1 argument"]),
            (
                "sum(age) over (rows between current row and unbounded preceding) from User",
                &["a frame cannot end at `unbounded preceding`"],
            ),
            (
                "count(*) over (order by id groups) from User",
                &[
                    "unexpected end of input, expected a frame bound: `unbounded preceding`, `<n> preceding`, \
                   `current row`, `<n> following` or `unbounded following`",
                ],
            ),
            (
                "count(*) over (order by id limit 1) from User",
                &[
                    "expected `partition by`, `order by`, or a frame (`rows between <start> and \
                   <end>`) in `over (...)`",
                ],
            ),
            (
                "string_agg(name, \",\" order by count(*)) from User",
                &["an aggregate cannot be inside another aggregate's `order by`"],
            ),
        ],
    );
}

#[test]
fn compound_queries_and_ctes_assemble_their_sql() {
    assert_sql(
        select,
        &[
            // Placeholders run across the branches; the trailing clauses are the whole
            // result's, its `order by` naming result columns (an alias as written).
            (
                "id, name as who from User where age > a union all select Post::id, \
                 Post::title from Post where score < b order by who desc limit n offset 2",
                "SELECT {User::id}, {User::name} AS who FROM {User} WHERE {User::age} > $1 \
                 UNION ALL SELECT {Post::id}, {Post::title} FROM {Post} WHERE {Post::score} < $2 \
                 ORDER BY who DESC LIMIT $3 OFFSET 2",
            ),
            (
                "(select id from User order by id limit 1) intersect select id from User \
                 except all (select id from User where id = 1) order by id",
                "(SELECT {User::id} FROM {User} ORDER BY {User::id} LIMIT 1) INTERSECT \
                 SELECT {User::id} FROM {User} EXCEPT ALL (SELECT {User::id} FROM {User} \
                 WHERE {User::id} = $1) ORDER BY {User::id}",
            ),
            // A CTE's parameters come before the main query's; its columns are named by
            // the struct's handles, in the body's order.
            (
                "with recursive Recent as (select name, id from User where age > a) \
                 select id from Recent where id < b",
                "WITH RECURSIVE {Recent} ({Recent::name}, {Recent::id}) AS (SELECT \
                 {User::name}, {User::id} FROM {User} WHERE {User::age} > $1) SELECT \
                 {Recent::id} FROM {Recent} WHERE {Recent::id} < $2",
            ),
            (
                "with A as (select id from User), B as (select id from Post) \
                 select A::id from A join B on B::id = A::id",
                "WITH {A} ({A::id}) AS (SELECT {User::id} FROM {User}), {B} ({B::id}) AS \
                 (SELECT {Post::id} FROM {Post}) SELECT {A}.{A::id} FROM {A} JOIN {B} ON \
                 {B}.{B::id} = {A}.{A::id}",
            ),
            // The main query of a CTE may be compound, and read the CTE in a subquery only.
            (
                "with A as (select id from User where id > x) select id from User \
                 where exists (select A::id from A where A::id = User::id) \
                 union select id from A order by id limit n",
                "WITH {A} ({A::id}) AS (SELECT {User::id} FROM {User} WHERE {User::id} > $1) \
                 SELECT {User::id} FROM {User} WHERE EXISTS (SELECT {A}.{A::id} FROM {A} \
                 WHERE {A}.{A::id} = {User}.{User::id}) UNION SELECT {A::id} FROM {A} \
                 ORDER BY {User::id} LIMIT $2",
            ),
        ],
    );
}

#[test]
fn compound_queries_and_ctes_name_each_mistake() {
    assert_errors(
        select,
        &[
            (
                "id, name from User union select id from Post",
                &[
                    "the branch after this `union` selects 1 column, the first branch 2 \
                   columns: every branch selects as many columns, of the same types in order",
                ],
            ),
            (
                "id from User order by id union select id from Post",
                &[
                    "`order by`, `limit` and `offset` of a compound query come after its last \
                   branch and apply to the whole result; to order or limit one branch, write \
                   it in parentheses: `(select ... order by ... limit ...)`",
                ],
            ),
            (
                "id from User union select id from Post order by nme",
                &[
                    "`nme` is not a result column; the `order by` of a compound query names \
                   the first branch's columns: `id`",
                ],
            ),
            (
                "with R as (select count(*) from User) select id from R",
                &["name the field this `count` fills: `count(...) as field_name`"],
            ),
        ],
    );
    let first = |src: &str| errors(&select(src)).first().cloned().unwrap_or_default();
    assert!(first("id from User union id from Post").contains("expected `select` after `union`"));
    assert!(
        first("with R as (select id from User) id from R")
            .contains("expected `select` after the CTEs")
    );
    assert!(first("with R as User select id from R").contains("expected the CTE's body"));
}

#[test]
fn a_subquery_cannot_be_compound() {
    let msg = "a subquery cannot be a `union`, `intersect` or `except`; write the compound query \
               as a CTE (`with Both as (select ... union select ...) select ...`) and read the \
               CTE in the subquery";
    assert_errors(
        select,
        &[
            (
                "id from User where id in (select id from User union select id from Post)",
                &[msg],
            ),
            (
                "id, (select max(id) from User except select id from Post) from User",
                &[msg],
            ),
            (
                "id from User where exists (select id from User intersect select id from Post)",
                &[msg],
            ),
        ],
    );
}

#[test]
fn a_compound_query_is_summarized_by_every_table_it_reads() {
    let out = select(
        "with Recent as (select id from User union select user_id from Post) \
         select id from Recent union select id from Admin join User on User::id = Admin::id",
    )
    .to_string();
    let at = out.find("SUMMARY_PARTS").expect("a summary");
    let summary = &out[at..at + out[at..].find("] ;").expect("its end")];
    let tables: Vec<&str> = summary
        .split("Part :: Str (<")
        .skip(1)
        .map(|t| t.split_whitespace().next().unwrap_or_default())
        .collect();
    // The CTE is not a table of the database; the tables its body reads are.
    assert_eq!(tables, ["User", "Post", "Admin"], "{summary}");
}

#[test]
fn unfinished_compound_queries_and_ctes_are_errors_not_panics() {
    for (src, want) in [
        ("id from User union", "expected `select` after `union`"),
        ("id from User union all", "expected `select` after `union`"),
        ("id from User union select", "expected a column"),
        ("with R", "expected `as` after the CTE's struct"),
        (
            "with R as (select id from User)",
            "expected `select` after the CTEs",
        ),
        (
            "with recursive R as () select id from R",
            "expected the CTE's body",
        ),
        (
            "id from User union select id from User limit",
            "expected a value (a Rust expression) here",
        ),
    ] {
        let errors = errors(&select(src));
        assert!(
            errors.len() == 1 && errors[0].contains(want),
            "{src}: {errors:?}"
        );
    }
}

#[test]
fn json_and_array_operators_assemble_their_sql() {
    assert_sql(
        select,
        &[
            (
                r#"data ->> "city" from Ride where data ->> "city" = city"#,
                "SELECT ({Ride::data} ->> $1) FROM {Ride} WHERE ({Ride::data} ->> $2) = $3",
            ),
            // Operators read from left to right, looser than `+`: the key is the Rust value
            // `k + 1`, bound as one.
            (
                r#"id from Ride where data -> "a" -> 0 ->> k + 1 = v"#,
                "SELECT {Ride::id} FROM {Ride} WHERE ({Ride::data} -> $1 -> $2::int4 ->> $3) = $4",
            ),
            (
                r#"id from Ride where data @> doc and not data ? "vip" or data <@ doc"#,
                "SELECT {Ride::id} FROM {Ride} WHERE ({Ride::data} @> $1) AND NOT ({Ride::data} ? $2) \
                 OR ({Ride::data} <@ $3)",
            ),
            (
                "data #>> path, data #> path from Ride where data ?| keys and not data ?& keys",
                "SELECT ({Ride::data} #>> $1), ({Ride::data} #> $2) FROM {Ride} WHERE \
                 ({Ride::data} ?| $3) AND NOT ({Ride::data} ?& $4)",
            ),
            // Inside a window and an ordered aggregate.
            (
                r#"row_number() over (partition by data ->> "c" order by tags && w) from Ride"#,
                "SELECT row_number() OVER (PARTITION BY ({Ride::data} ->> $1) ORDER BY \
                 ({Ride::tags} && $2)) FROM {Ride}",
            ),
            (
                r#"string_agg(data ->> "c", "," order by data ->> "c") from Ride"#,
                "SELECT string_agg(({Ride::data} ->> $1), $2 ORDER BY ({Ride::data} ->> $3)) \
                 FROM {Ride}",
            ),
            (
                r#"data ->> "a" from Ride where tags && w union all select data ->> "b" from Ride where id = any(ids)"#,
                "SELECT ({Ride::data} ->> $1) FROM {Ride} WHERE ({Ride::tags} && $2) UNION ALL \
                 SELECT ({Ride::data} ->> $3) FROM {Ride} WHERE {Ride::id} = ANY($4)",
            ),
            (
                r#"case when a = 1 then data end ->> "k" from Ride"#,
                "SELECT (CASE WHEN {Ride::a} = $1 THEN {Ride::data} END ->> $2) FROM {Ride}",
            ),
            (
                "id from Ride where id = any(ids) and id <> all(Ride::others) and tags && w",
                "SELECT {Ride::id} FROM {Ride} WHERE {Ride::id} = ANY($1) AND {Ride::id} <> \
                 ALL({Ride::others}) AND ({Ride::tags} && $2)",
            ),
            (
                "cardinality(tags), array_length(tags, 1), zone = any(stops) from Ride",
                "SELECT cardinality({Ride::tags}), array_length({Ride::tags}, $1), {Ride::zone} = \
                 ANY({Ride::stops}) FROM {Ride}",
            ),
            // `||` binds looser in Rust than in SQL: the parentheses keep Rust's reading.
            (
                r#"name || data ->> "city" from Ride"#,
                "SELECT {Ride::name} || ({Ride::data} ->> $1) FROM {Ride}",
            ),
        ],
    );
    assert_sql(
        update,
        &[(
            r#"Ride set name = coalesce(Ride::data ->> "n", "") where tags @> t returning data -> "a""#,
            "UPDATE {Ride} SET {Ride::name} = coalesce(({Ride::data} ->> $1), $2) WHERE \
             ({Ride::tags} @> $3) RETURNING ({Ride::data} -> $4)",
        )],
    );
    assert_sql(
        delete,
        &[(
            "from Ride where stops && s",
            "DELETE FROM {Ride} WHERE ({Ride::stops} && $1)",
        )],
    );
}

#[test]
fn json_and_array_operators_keep_the_grouping_rules() {
    assert_sql(
        select,
        &[
            (
                "data ->> key, count(*) from Ride group by data ->> key",
                "SELECT ({Ride::data} ->> $1), count(*) FROM {Ride} GROUP BY ({Ride::data} ->> $1)",
            ),
            // The key is a Rust value, not a column to group by.
            (
                "data ->> key, count(*) from Ride group by data",
                "SELECT ({Ride::data} ->> $1), count(*) FROM {Ride} GROUP BY {Ride::data}",
            ),
        ],
    );
    assert_errors(
        select,
        &[
            (
                "data ->> key, count(*) from Ride",
                &[
                    "column `data` must be in `group by` or inside an aggregate (such as `max(data)`): \
                   the query groups its rows, and `data` has no single value per group",
                ],
            ),
            (
                "data ->> key, count(*) from Ride group by data ->> other",
                &[
                    "column `data` must be in `group by` or inside an aggregate (such as `max(data)`): \
                   the query groups its rows, and `data` has no single value per group",
                ],
            ),
        ],
    );
}

#[test]
fn json_and_array_operators_refuse_their_misuses() {
    assert_errors(
        select,
        &[
            (
                "any(tags) from Ride",
                &["`any(array)` is written on the right of a comparison, such as `x = any(array)`"],
            ),
            (
                "id from Ride where all(tags) = id",
                &["`all(array)` is written on the right of a comparison, such as `x = all(array)`"],
            ),
            (
                "array_length(tags) from Ride",
                &[
                    "`array_length` takes 2 arguments, an array and its dimension: `array_length(tags, 1)`",
                ],
            ),
            (
                "id from Ride where id = any(a, b)",
                &["`any` takes 1 argument, an array"],
            ),
        ],
    );
    assert_errors(
        update,
        &[
            (
                "Ride set flag = a @> b where all",
                &[
                    "one side of `@>`, `<@` or `&&` must be a column or an expression; both are Rust values",
                ],
            ),
            (
                "Ride set n = cardinality(v) where all",
                &[
                    "`cardinality` takes an array column or expression; the length of a Rust value is known without the database",
                ],
            ),
        ],
    );
}

/// Every mistake of a `select!` is found by the check stage, before its SQL is assembled: the
/// expansion reports exactly what the check stage alone finds, so assembling adds nothing.
#[test]
fn the_check_stage_finds_every_mistake_before_assembly() {
    let cases = [
        // Tables the query does not read, or names it may not use.
        "id from User where Post::id = 1",
        "Boss::name from User",
        "User::name from User as U",
        "id from User join User on User::id = User::id",
        "id from User as u",
        // Window functions and `excluded` where they mean nothing.
        "id from User where row_number() over (order by id) > 1",
        "sum(row_number() over (order by id)) over () from User",
        "excluded.name from User",
        // A `case` with nothing to type it; subqueries that do not read one value.
        "case when age > 1 then &a else &b end as label from User",
        "name from User where id in (select id, name from Post)",
        "(select id, name from Post) as p, name from User",
        "(select Post from Post where Post::user_id = Nobody::id) as p from User",
        // Operators over Rust values only.
        "id from User where cardinality(&tags) > 1",
        // Grouping, aggregates in `where`, fields, syntax.
        "id from User where count(*) > 1",
        "name, count(*) from User",
        "Row { count(*) } from User",
        "User where id == 1 order by nme",
        // Compound queries whose branches do not match.
        "id from User union select id, name from Post",
        "id from User union select Post from Post",
        "id from User union select id from Post order by nme",
        "id from User union select id from Post where Nobody::id = 1",
    ];
    for src in cases {
        let out = select(src);
        let all = errors(&out);
        assert!(!all.is_empty(), "`{src}` has a mistake");
        let checked = crate::query::check_select(syn::parse_str(src).expect("tokens"));
        assert_eq!(checked, all, "`{src}`");
    }
}

/// A `case` whose branches are all Rust values is refused by the check stage exactly where
/// assembling it finds nothing beside it to give it a type.
#[test]
fn a_case_of_values_is_refused_exactly_where_nothing_types_it() {
    let message = "the type of this `case` is not known";
    let case = "case when age > 1 then &a else &b end";
    let places: [(Expand, String, bool); 23] = [
        (select, format!("{case} as v from User"), false),
        (select, format!("id from User order by {case}"), false),
        (select, format!("id from User group by {case}"), false),
        (
            select,
            format!("id from User where ({case}) is null"),
            false,
        ),
        (select, format!("array_agg({case}) as v from User"), false),
        (
            select,
            format!("date_trunc(\"day\", {case}) as v from User"),
            false,
        ),
        (select, format!("count({case}) as v from User"), false),
        (
            select,
            format!("lag({case}) over (order by id) as v from User"),
            false,
        ),
        (
            select,
            format!("extract(year from {case}) as v from User"),
            false,
        ),
        (
            select,
            format!("id from User where {case} like \"a%\""),
            false,
        ),
        (
            select,
            format!("string_agg({case}, \", \") as v from User"),
            true,
        ),
        (select, format!("bool_and({case}) as v from User"), true),
        (select, format!("cast({case} as text) as v from User"), true),
        (
            select,
            format!("ntile({case}) over (order by id) as v from User"),
            true,
        ),
        (
            select,
            format!("case when age > 2 then {case} else name end as v from User"),
            true,
        ),
        (select, format!("id from User where name = {case}"), true),
        (
            select,
            format!("id from User where lower(name) = {case}"),
            true,
        ),
        (select, format!("id from User where age + {case} > 1"), true),
        (select, format!("lower({case}) as v from User"), true),
        (
            select,
            format!("coalesce(bio, {case}) as v from User"),
            true,
        ),
        (
            select,
            format!("lag(age, 1, {case}) over (order by id) as v from User"),
            true,
        ),
        (update, format!("User set name = {case} where id = 1"), true),
        (
            insert,
            format!(
                "into User (id, name) values (1, \"a\") on conflict (id) do update set \
                 name = {case}"
            ),
            true,
        ),
    ];
    for (expand, src, typed) in places {
        let before = crate::query::untyped_cases();
        let out = expand(&src);
        let untyped = crate::query::untyped_cases() > before;
        let refused = errors(&out).iter().any(|e| e.contains(message));
        assert_eq!(untyped, !typed, "`{src}`: assembled without a type");
        assert_eq!(refused, !typed, "`{src}`: refused");
    }
}

/// The words, operators and literals random statements are made of.
const WORDS: &str = "select from where and or not in is null between like ilike group by order \
    having limit offset asc desc nulls first last union all intersect except with recursive as \
    case when then else end over partition rows range groups preceding following unbounded \
    current row distinct exists any cast into values set returning on conflict do nothing join \
    left excluded User Post Boss id name age status bio x count sum avg min max lower upper coalesce \
    nullif now string_agg array_agg row_number lag ntile extract date_trunc year cardinality \
    text int4 = == != < > <= >= + - * / || && ? -> ->> #> @> <@ :: , . ! & 1 \"a\" 1.5 true";

/// A macro's expansion, from its input's text.
type Expand = fn(&str) -> TokenStream;

/// Up to 21 random words, some of them groups of their own (three levels deep at most).
fn random_tokens(words: &[&str], next: &mut impl FnMut(usize) -> usize, depth: usize) -> String {
    let len = next(22);
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        if depth < 3 && next(8) == 0 {
            let (open, close) = [("(", ")"), ("[", "]"), ("{", "}")][next(3)];
            out.push(format!(
                "{open} {} {close}",
                random_tokens(words, next, depth + 1)
            ));
        } else {
            out.push(words[next(words.len())].to_owned());
        }
    }
    out.join(" ")
}

/// Statements of random tokens from the grammar's words, operators and groups, some after a
/// valid start: each must expand to code (with compile errors), never panic. A fixed seed keeps
/// the test reproducible; a failure names its input.
#[test]
fn random_statements_never_panic() {
    let starts: [(Expand, &str); 11] = [
        (select, ""),
        (select, "id, name from User where "),
        (select, "name, count(*) from User group by "),
        (select, "name from User union all select "),
        (select, "row_number() over ("),
        (select, "Boss::name from User as Boss join User as "),
        (insert, "into User (id, name) values (1, \"a\") "),
        (insert, ""),
        (update, "User set "),
        (update, "User set age = age + 1 where "),
        (delete, "from User where "),
    ];
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % n as u64).expect("small")
    };
    for _ in 0..12_000 {
        let (expand, start) = starts[next(starts.len())];
        let src = format!("{start}{}", random_tokens(&words, &mut next, 0));
        let Ok(tokens) = syn::parse_str::<TokenStream>(&src) else {
            continue;
        };
        let before = crate::query::untyped_cases();
        let run = std::panic::catch_unwind(|| expand(&tokens.to_string()));
        let Ok(out) = run else {
            panic!("expanding `{src}` panicked");
        };
        // A `case` assembled without a type was refused by the check stage.
        if crate::query::untyped_cases() > before {
            assert!(
                errors(&out)
                    .iter()
                    .any(|e| e.contains("the type of this `case` is not known")),
                "`{src}` assembled a `case` without a type, unreported"
            );
        }
    }
}
