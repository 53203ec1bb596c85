//! The syntax of `network!`, parsed into a small AST that keeps every token for spans.
//!
//! ```text
//! input     := network*
//! network   := attr* vis 'struct' Ident generics? ( fields forward | '=' 'Sequential' '(' layer,* ')' (':' shape)? ';' )
//! fields    := '{' field,* '}' | ';'
//! field     := attr* vis Ident ':' ( 'Param' '<' shape '>' | 'Buffer' '<' shape '>' | shape | Type ('=' Expr)? )
//! layer     := Type ('=' Expr)?                 (the expression builds the layer; default `<Type>::new()`)
//! forward   := 'fn' 'forward' '(' input (',' target)* ','? ')' '->' shape Block
//! input     := 'mut'? Ident ':' shape ('as' 'f32')?
//! target    := Ident ':' shape 'as' ('f32' | 'i64')     (targets of losses, never differentiated)
//! shape     := '[' (dim | '..'),* ']'         dim := Int | Ident | '_'
//! ```

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Generics, Ident, LitInt, Token, Visibility, bracketed, braced, parenthesized};

/// Everything inside one `network! { ... }`.
pub struct Input {
    pub networks: Vec<Network>,
}

pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub generics: Generics,
    pub kind: Kind,
}

pub enum Kind {
    /// A struct with named fields (or none) and a forward.
    Struct { fields: Vec<FieldAst>, forward: Forward },
    /// `= Sequential(T0, T1, ...) (: [dims])?;`
    Sequential { seq: Ident, layers: Vec<SeqLayer>, input: Option<ShapeAst> },
}

/// One layer of the Sequential form: `Conv2d<1, 6, 5> = Conv2d::new().padding(2)`.
pub struct SeqLayer {
    pub ty: syn::Type,
    pub init: Option<syn::Expr>,
}

impl Parse for SeqLayer {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let ty = input.parse()?;
        Ok(SeqLayer { ty, init: constructor(input)? })
    }
}

/// `= expr` after a layer's type.
fn constructor(input: ParseStream) -> syn::Result<Option<syn::Expr>> {
    if input.peek(Token![=]) && !input.peek(Token![==]) {
        input.parse::<Token![=]>()?;
        return Ok(Some(input.parse()?));
    }
    Ok(None)
}

pub struct FieldAst {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub ty: FieldTy,
    /// `= expr`: how `new()` builds the field (layers only).
    pub init: Option<syn::Expr>,
}

pub enum FieldTy {
    /// `Param<[dims]>`.
    Param { kw: Ident, shape: ShapeAst },
    /// `Buffer<[dims]>`.
    Buffer { kw: Ident, shape: ShapeAst },
    /// `[dims]`: a constant tensor (needs `#[constant(init)]`).
    Tensor(ShapeAst),
    /// Any other type: a layer.
    Type(syn::Type),
}

impl FieldTy {
    pub fn span(&self) -> Span {
        match self {
            FieldTy::Param { kw, shape } | FieldTy::Buffer { kw, shape } => kw.span().join(shape.span).unwrap_or(kw.span()),
            FieldTy::Tensor(s) => s.span,
            FieldTy::Type(t) => t.span(),
        }
    }
}

/// `[B, 20]` as written.
#[derive(Clone)]
pub struct ShapeAst {
    pub span: Span,
    pub items: Vec<DimAst>,
    pub tokens: TokenStream,
}

#[derive(Clone)]
pub enum DimAst {
    Rest(Span),
    Lit(LitInt),
    Name(Ident),
    Infer(Span),
}

/// An input after the first: `target: [B] as i64`.
pub struct Target {
    pub name: Ident,
    pub shape: ShapeAst,
    /// `as i64`: class indices (only the target of `cross_entropy`/`nll_loss`).
    pub int: bool,
}

pub struct Forward {
    pub name: Ident,
    pub arg: Ident,
    pub in_shape: ShapeAst,
    pub targets: Vec<Target>,
    pub out_shape: ShapeAst,
    pub body: syn::Block,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut networks = Vec::new();
        while !input.is_empty() {
            networks.push(input.parse()?);
        }
        if networks.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`network!` expects a network: `struct Name { fields } fn forward(x: [B, 20]) -> [B, 10] { ... }`",
            ));
        }
        Ok(Input { networks })
    }
}

impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if !input.peek(Token![struct]) {
            return Err(input.error("expected `struct`: a network is declared as `struct Name { fields } fn forward(..) -> [..] { .. }`"));
        }
        input.parse::<Token![struct]>()?;
        let ident: Ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        if input.peek(Token![where]) {
            generics.where_clause = Some(input.parse()?);
        }
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let seq: Ident = input.parse()?;
            if seq != "Sequential" {
                return Err(syn::Error::new(seq.span(), "expected `Sequential(...)`: the one-line form is `struct Net = Sequential(Linear<4, 8>, ReLU, Linear<8, 1>);`"));
            }
            let content;
            parenthesized!(content in input);
            let layers = content.parse_terminated(SeqLayer::parse, Token![,])?.into_iter().collect();
            let shape = if input.peek(Token![:]) {
                input.parse::<Token![:]>()?;
                Some(input.parse()?)
            } else {
                None
            };
            input.parse::<Token![;]>()?;
            return Ok(Network { attrs, vis, ident, generics, kind: Kind::Sequential { seq, layers, input: shape } });
        }
        let fields = if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
            Vec::new()
        } else if input.peek(syn::token::Brace) {
            let content;
            braced!(content in input);
            content.parse_terminated(FieldAst::parse, Token![,])?.into_iter().collect()
        } else {
            return Err(input.error("expected `{ fields }` or `;` after the network's name (tuple structs are written `= Sequential(...)`)"));
        };
        if !input.peek(Token![fn]) {
            return Err(input.error(format!("expected `fn forward(x: [..]) -> [..] {{ ... }}` after the fields of `{ident}`")));
        }
        let forward = input.parse()?;
        Ok(Network { attrs, vis, ident, generics, kind: Kind::Struct { fields, forward } })
    }
}

impl Parse for FieldAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let ident: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = if input.peek(syn::token::Bracket) && !is_array_type(input) {
            FieldTy::Tensor(input.parse()?)
        } else if (input.peek(Ident) && input.peek2(Token![<])) && (peek_kw(input, "Param") || peek_kw(input, "Buffer")) {
            let kw: Ident = input.parse()?;
            input.parse::<Token![<]>()?;
            let shape: ShapeAst = input.parse()?;
            input.parse::<Token![>]>()?;
            if kw == "Param" { FieldTy::Param { kw, shape } } else { FieldTy::Buffer { kw, shape } }
        } else {
            FieldTy::Type(input.parse()?)
        };
        let init = constructor(input)?;
        Ok(FieldAst { attrs, vis, ident, ty, init })
    }
}

fn peek_kw(input: ParseStream, kw: &str) -> bool {
    input.fork().parse::<Ident>().is_ok_and(|i| i == kw)
}

/// `[Block; 4]` (an array of layers) rather than a shape `[4, 4]`.
fn is_array_type(input: ParseStream) -> bool {
    fn scan(input: ParseStream) -> syn::Result<bool> {
        let content;
        bracketed!(content in input);
        content.parse::<syn::Type>()?;
        Ok(content.peek(Token![;]))
    }
    scan(&input.fork()).unwrap_or(false)
}

impl Parse for ShapeAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let bracket = bracketed!(content in input);
        let tokens: TokenStream = content.fork().parse()?;
        let mut items = Vec::new();
        while !content.is_empty() {
            let item = if content.peek(Token![..]) {
                DimAst::Rest(content.parse::<Token![..]>()?.span())
            } else if content.peek(Token![_]) {
                DimAst::Infer(content.parse::<Token![_]>()?.span)
            } else if content.peek(LitInt) {
                DimAst::Lit(content.parse()?)
            } else if content.peek(Ident) {
                DimAst::Name(content.parse()?)
            } else {
                return Err(content.error("expected a dim: an integer, a name (`B`, a const parameter), `_` or `..`"));
            };
            items.push(item);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        let mut all = TokenStream::new();
        bracket.surround(&mut all, |t| t.extend(tokens));
        Ok(ShapeAst { span: bracket.span.join(), items, tokens: all })
    }
}

impl ToTokens for ShapeAst {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens.clone());
    }
}

impl Parse for Forward {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![fn]>()?;
        let name: Ident = input.parse()?;
        let content;
        parenthesized!(content in input);
        if content.peek(Token![mut]) {
            content.parse::<Token![mut]>()?;
        }
        let arg: Ident = content.parse()?;
        content.parse::<Token![:]>()?;
        let in_shape: ShapeAst = content.parse()?;
        if let Some((ty, true)) = dtype(&content)? {
            return Err(syn::Error::new(ty.span(), "a network's first input is the float tensor it differentiates; only later (target) inputs can be `as i64`"));
        }
        let mut targets = Vec::new();
        loop {
            if content.peek(Token![,]) {
                content.parse::<Token![,]>()?;
            }
            if content.is_empty() {
                break;
            }
            // A later input declares its dtype; without it, the one-input form is meant.
            let Some(target) = target(&content.fork()) else {
                return Err(content.error("a network's forward takes one input tensor, plus loss targets that declare their dtype: `fn forward(x: [B, 20])` or `fn forward(x: [B, 20], target: [B] as i64)`"));
            };
            target_advance(&content)?;
            targets.push(target);
        }
        input.parse::<Token![->]>()?;
        let out_shape: ShapeAst = input.parse()?;
        let body = input.parse()?;
        Ok(Forward { name, arg, in_shape, targets, out_shape, body })
    }
}

/// `as f32` / `as i64` after a shape: `Some((dtype, is_i64))`.
fn dtype(input: ParseStream) -> syn::Result<Option<(Ident, bool)>> {
    if !input.peek(Token![as]) {
        return Ok(None);
    }
    input.parse::<Token![as]>()?;
    let ty: Ident = input.parse()?;
    match ty.to_string().as_str() {
        "f32" => Ok(Some((ty, false))),
        "i64" => Ok(Some((ty, true))),
        other => Err(syn::Error::new(ty.span(), format!("an input's dtype is `f32` or `i64` (class indices), not `{other}`"))),
    }
}

/// `name: [dims] as dtype`, parsed on a fork; `None` when it is not of that form.
fn target(input: ParseStream) -> Option<Target> {
    let name: Ident = input.parse().ok()?;
    input.parse::<Token![:]>().ok()?;
    let shape: ShapeAst = input.parse().ok()?;
    let (_, int) = dtype(input).ok()??;
    Some(Target { name, shape, int })
}

/// Consumes what [`target`] accepted.
fn target_advance(input: ParseStream) -> syn::Result<()> {
    input.parse::<Ident>()?;
    input.parse::<Token![:]>()?;
    input.parse::<ShapeAst>()?;
    dtype(input)?;
    Ok(())
}
