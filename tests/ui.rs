//! Compile-fail and compile-pass cases of `#[derive(Module)]`, checked with trybuild.
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test ui` and review them.

#[test]
fn derive_module() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/derive/*.rs");
    t.pass("tests/ui/derive/pass/*.rs");
}
