//! The committed C header equals what cbindgen generates from the crate now. When it does
//! not, regenerate it: `MUXLINK_BLESS=1 cargo test -p muxlink-ffi --test header`.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("include/muxlink.h");
    if std::env::var_os("MUXLINK_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/muxlink.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/muxlink.h is stale: run `MUXLINK_BLESS=1 cargo test -p muxlink-ffi --test header` \
         and commit the result"
    );
}
