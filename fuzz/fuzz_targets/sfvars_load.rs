//! Any bytes as `socialform.sfvars` next to a configuration that declares a
//! few variables of different types.
#![no_main]

use libfuzzer_sys::fuzz_target;
use socialform::config::{LoadOptions, load};

const MAIN: &str = r#"
variable "token" {
  sensitive = true
}
variable "name" {
  type    = string
  default = "x"
}
variable "pages" {
  type    = map(object({ page_id = string, token = string }))
  default = {}
}
page "one" {
  page_id      = "100000000000001"
  name         = var.name
  access_token = var.token
}
page "many" {
  for_each     = var.pages
  page_id      = each.value.page_id
  access_token = each.value.token
}
"#;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("main.hcl"), MAIN).expect("write main.hcl");
    std::fs::write(dir.path().join("socialform.sfvars"), data).expect("write sfvars");
    let options = LoadOptions {
        dir: dir.path().to_path_buf(),
        cli_vars: Vec::new(),
        env: Vec::new(),
        allow_unknown_tokens: false,
        ..Default::default()
    };
    if let Err(diagnostics) = load(&options) {
        let _ = diagnostics.render();
    }
});
