//! Compile-fail and compile-pass cases of `#[derive(Module)]`, checked with trybuild.
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test ui` and review them.

#[test]
fn derive_module() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/derive/*.rs");
    t.pass("tests/ui/derive/pass/*.rs");
}

/// `network!`: compile-fail cases grouped by kind (one error per file, except `multi/`), and
/// compile-pass cases for every form of the language.
#[test]
fn network() {
    let t = trybuild::TestCases::new();
    for kind in ["shape", "layers", "inference", "composition", "syntax", "attributes", "multi"] {
        t.compile_fail(format!("tests/ui/network/{kind}/*.rs"));
    }
    t.pass("tests/ui/network/pass/*.rs");
}
