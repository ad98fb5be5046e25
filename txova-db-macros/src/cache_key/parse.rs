//! The input model: `[attrs] [vis] fn name(param: Type, ..) -> Value = "template";` repeated.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token, Type, Visibility, parenthesized};

/// Every declaration of one invocation.
pub(crate) struct Decls {
    pub(crate) decls: Vec<Decl>,
}

/// One key function.
pub(crate) struct Decl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) params: Vec<Param>,
    pub(crate) value: Type,
    pub(crate) template: LitStr,
}

/// One parameter of a key function.
pub(crate) struct Param {
    pub(crate) name: Ident,
    pub(crate) ty: Type,
}

impl Parse for Decls {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut decls = Vec::new();
        while !input.is_empty() {
            decls.push(input.parse()?);
        }
        Ok(Decls { decls })
    }
}

impl Parse for Decl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![fn]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a key declaration: `fn name(id: Type) -> Value = \"service:entity:{id}\";`",
            )
        })?;
        let name = input.parse()?;
        let content;
        parenthesized!(content in input);
        let params = Punctuated::<Param, Token![,]>::parse_terminated(&content)?
            .into_iter()
            .collect();
        input.parse::<Token![->]>()?;
        let value = input.parse()?;
        input.parse::<Token![=]>()?;
        let template = input.parse()?;
        input.parse::<Token![;]>()?;
        Ok(Decl {
            attrs,
            vis,
            name,
            params,
            value,
            template,
        })
    }
}

impl Parse for Param {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        Ok(Param { name, ty })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_declarations() {
        let d: Decls = syn::parse_str(
            r#"/// Doc.
            pub fn a(id: u64, page: u32) -> Vec<Ride> = "ride:history:list:{id}:{page}";
            fn b() -> Config = "pricing:config:all";"#,
        )
        .unwrap();
        assert_eq!(d.decls.len(), 2);
        assert_eq!(d.decls[0].params.len(), 2);
        assert_eq!(d.decls[0].attrs.len(), 1);
        assert_eq!(d.decls[1].template.value(), "pricing:config:all");
    }

    #[test]
    fn missing_fn_is_explained() {
        let e = syn::parse_str::<Decls>(r#"a() -> B = "x:y";"#)
            .err()
            .unwrap();
        assert!(e.to_string().contains("expected a key declaration"));
    }
}
