//! Any bytes as `main.hcl`: loading must return a configuration or
//! diagnostics, never panic, hang or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socialform::config::{LoadOptions, load};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("main.hcl"), data).expect("write main.hcl");
    let options = LoadOptions {
        dir: dir.path().to_path_buf(),
        cli_vars: Vec::new(),
        env: vec![("SF_VAR_token".into(), "EAAfuzz".into())],
        allow_unknown_tokens: false,
        ..Default::default()
    };
    if let Err(diagnostics) = load(&options) {
        // Rendering is part of what users see: it must not panic either.
        let _ = diagnostics.render();
    }
});
