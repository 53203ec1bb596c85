//! Source text for messages: `relu(hidden(x))` as the user wrote it.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;

/// `ts` with every token at `span` (so an error in generated code points at the user's code).
pub fn respan(ts: TokenStream, span: Span) -> TokenStream {
    ts.into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => {
                let mut ng = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                TokenTree::Group(ng)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// Tokens printed compactly: `Linear<256, 10>`, `relu(hidden(x))`.
pub fn tokens(t: &impl ToTokens) -> String {
    let s = t.to_token_stream().to_string();
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = if i > 0 { chars[i - 1] } else { ' ' };
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let glue_before = matches!(next, '(' | ')' | '<' | '>' | ',' | '.' | '[' | ']' | ';');
            let glue_after = matches!(prev, '(' | '<' | '.' | '[' | '&' | '!');
            if glue_before || glue_after {
                continue;
            }
        }
        out.push(c);
    }
    out.replace(" :: ", "::").replace(":: ", "::")
}
