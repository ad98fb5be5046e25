//! `embed_migrations!("migrations")`: the migration files of a folder, read at compile time.
//!
//! The folder is relative to the calling crate's `Cargo.toml`. Each file is embedded with
//! `include_str!`, so editing a file rebuilds the crate; adding a file needs a rebuild of the
//! crate (`touch` a source file), as Cargo cannot watch a folder for a proc macro.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;

/// Parses the optional folder literal and expands to an `EmbeddedMigrations` value.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let folder = if input.is_empty() {
        LitStr::new("migrations", Span::call_site())
    } else {
        match syn::parse2::<LitStr>(input) {
            Ok(lit) => lit,
            Err(e) => {
                let mut err = syn::Error::new(
                    e.span(),
                    "expected the migrations folder as a string literal, like embed_migrations!(\"migrations\")",
                );
                err.combine(e);
                return err.to_compile_error();
            }
        }
    };
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
    match files(&base.join(folder.value())) {
        Ok(files) => {
            let entries = files.iter().map(|(name, path)| {
                quote! { (#name, ::core::include_str!(#path)) }
            });
            quote! {
                ::txova_db::postgres::EmbeddedMigrations::new(&[#(#entries),*])
            }
        }
        Err(message) => syn::Error::new(folder.span(), message).to_compile_error(),
    }
}

/// The migration files of `dir` (by golang-migrate's naming), sorted, as `(name, path)`.
fn files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the migrations folder `{}`: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_migration_name(&name) || !path.is_file() {
            continue;
        }
        let Some(path) = path.to_str().map(str::to_owned) else {
            return Err(format!("the path of `{name}` is not UTF-8"));
        };
        out.push((name, path));
    }
    out.sort();
    Ok(out)
}

/// `{digits}_{anything}.{up|down}.{ext}`, as golang-migrate matches names; the run-time
/// source checks versions and duplicates.
fn is_migration_name(name: &str) -> bool {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && name.as_bytes().get(digits) == Some(&b'_')
        && (name[digits..].contains(".up.") || name[digits..].contains(".down."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_migration_name("000001_create_users.up.sql"));
        assert!(is_migration_name("2_x.down.sql"));
        assert!(!is_migration_name("README.md"));
        assert!(!is_migration_name("x_1.up.sql"));
        assert!(!is_migration_name("1_x.sql"));
    }

    #[test]
    fn expands_to_the_files_of_the_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
        let out = expand(quote!(#dir)).to_string();
        assert!(out.contains("EmbeddedMigrations :: new"), "{out}");
        assert!(out.contains("\"000001_create_users.up.sql\""), "{out}");
        assert!(out.contains("include_str !"), "{out}");
    }

    #[test]
    fn a_missing_folder_is_a_compile_error() {
        let out = expand(quote!("/no/such/folder")).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("cannot read the migrations folder"), "{out}");
        let out = expand(quote!(42)).to_string();
        assert!(out.contains("string literal"), "{out}");
    }
}
