//! Configuration generated from what is already connected: block names
//! (slugs) derived from page and account names, and the HCL text of the
//! `variable`, `page` and `link` blocks written by `import --all-unmanaged
//! --generate-config-out`. Pure text functions; the CLI does the I/O.
//!
//! Tokens have no place here: the generated configuration reads each page's
//! token from a sensitive variable the user sets.

use crate::channel::Channel;
use std::collections::BTreeSet;

/// One page to write out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GeneratedPage {
    /// The block name (and stem of the token variable), already unique.
    pub(crate) slug: String,
    pub(crate) page_id: String,
    pub(crate) name: Option<String>,
    /// The application the page is linked to, if it is linked to exactly one.
    pub(crate) application: Option<String>,
}

/// The link of an account on another channel (WhatsApp, Viber, RCS) to write
/// out: such accounts are onboarded outside socialform, so only the link is
/// declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GeneratedLink {
    /// The block name, already unique.
    pub(crate) slug: String,
    pub(crate) channel: Channel,
    /// The account's external_id.
    pub(crate) account: String,
    pub(crate) name: Option<String>,
    pub(crate) application: String,
}

/// An application nobody manages, to write out as an `application` block.
/// No key: at most its fingerprint, in a comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GeneratedApplication {
    /// The block name, already unique.
    pub(crate) slug: String,
    pub(crate) id: String,
    pub(crate) settings: crate::application::Settings,
    pub(crate) other_capabilities: Vec<String>,
}

impl GeneratedPage {
    pub(crate) fn token_variable(&self) -> String {
        format!("{}_token", self.slug)
    }
}

/// A valid identifier from a page name: lower-case ASCII letters and digits
/// kept, every run of anything else one `_` (trimmed at both ends, so
/// "Acme – Support!" is `acme_support` rather than `acme___support_`), and
/// `page_` in front when the result would start with a digit or be empty.
/// Non-ASCII letters become `_` too: addresses only accept ASCII names.
pub(crate) fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    while slug.ends_with('_') {
        slug.pop();
    }
    if slug.is_empty() {
        return "page".to_string();
    }
    if slug.starts_with(|c: char| c.is_ascii_digit()) {
        slug.insert_str(0, "page_");
    }
    slug
}

/// The slug for a page: from its name, or from its ID when it has none.
pub(crate) fn page_slug(name: Option<&str>, page_id: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => slugify(name),
        None => slugify(&format!("page {page_id}")),
    }
}

/// The slug for an account of another channel: from its name, or from its
/// channel and ID when it has none.
pub(crate) fn account_slug(channel: Channel, name: Option<&str>, external_id: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => slugify(name),
        None => slugify(&format!("{channel} {external_id}")),
    }
}

/// The slug for an application: from its name (its id when the name has
/// nothing to keep).
pub(crate) fn application_slug(name: &str, id: &str) -> String {
    let slug = slugify(name);
    if slug == "page" && !name.to_ascii_lowercase().contains("page") {
        let short: String = id.chars().take(8).collect();
        return slugify(&format!("application {short}"));
    }
    // `slugify` puts `page_` before a leading digit; here it is an application.
    match slug.strip_prefix("page_") {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("application_{rest}")
        }
        _ => slug,
    }
}

/// `base`, or `base_2`, `base_3`, … — the first that is not in `taken`
/// (which then records it).
pub(crate) fn unique_slug(base: &str, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = base.to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// Names already used in a configuration file, so generated names do not
/// clash with them: page and link block names, and variable names (a
/// generated `<slug>_token` variable must not redeclare one). Best effort:
/// a file that does not parse contributes nothing (loading the
/// configuration reports it anyway).
pub(crate) fn used_names(hcl_text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Ok(body) = hcl::parse(hcl_text) else {
        return names;
    };
    for block in body.blocks() {
        if let Some(label) = block.labels().first() {
            let label = label.as_str().to_string();
            match block.identifier() {
                "page" | "link" | "application" => {
                    names.insert(label);
                }
                "variable" => {
                    // Blocks `x` from being a slug whose variable is `x`.
                    if let Some(stem) = label.strip_suffix("_token") {
                        names.insert(stem.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    names
}

/// An HCL quoted string literal: quotes, backslashes and control characters
/// escaped, and `${` / `%{` doubled so that a page name is never taken for a
/// template.
/// An application's `messages { ... }` block, aligned as `fmt` aligns it:
/// what `import --all-unmanaged` writes and `state show` prints.
pub(crate) fn messages_block(m: &crate::application::Messages) -> String {
    let mut attributes = vec![
        ("inbound_url", hcl_string(&m.inbound_url)),
        ("status_url", hcl_string(&m.status_url)),
        ("http_method", hcl_string(&m.inbound_method)),
    ];
    if m.inbound_method != m.status_method {
        // The status webhook's own method, so the next plan has nothing
        // to change.
        attributes.push(("status_http_method", hcl_string(&m.status_method)));
    }
    attributes.push(("version", hcl_string(&m.version)));
    attributes.push((
        "authenticate_inbound_media",
        m.authenticate_inbound_media.to_string(),
    ));
    let width = attributes.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::from("  messages {\n");
    for (key, value) in attributes {
        out.push_str(&format!("    {key:<width$} = {value}\n"));
    }
    out.push_str("  }\n");
    out
}

pub(crate) fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One block in canonical style: two-space indent, the `=` of its
/// attributes aligned (they form one run: no blank lines or nested blocks).
fn block(kind: &str, label: &str, attributes: &[(&str, String)]) -> String {
    let width = attributes.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = format!("{kind} {} {{\n", hcl_string(label));
    for (key, value) in attributes {
        out.push_str(&format!("  {key:<width$} = {value}\n"));
    }
    out.push_str("}\n");
    out
}

/// An `application` block as `fmt` lays it out: its public key is not
/// written (a block without `public_key` keeps whatever key the
/// application has), only its fingerprint in a comment.
fn application_block(app: &GeneratedApplication) -> String {
    let mut out = String::new();
    let comment = |text: String| -> String {
        let text: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("# {text}\n")
    };
    out.push_str(&comment(format!("Application {}", app.id)));
    if !app.other_capabilities.is_empty() {
        out.push_str(&comment(format!(
            "Also has {}, kept as it is by every update.",
            app.other_capabilities.join(", ")
        )));
    }
    out.push_str(&format!("application {} {{\n", hcl_string(&app.slug)));
    out.push_str(&format!("  name = {}\n", hcl_string(&app.settings.name)));
    if let Some(m) = &app.settings.messages {
        out.push_str(&messages_block(m));
    }
    if let Some(fingerprint) = &app.settings.public_key_fingerprint {
        out.push_str(&format!(
            "  # public_key: the key it has is kept ({fingerprint}); set public_key = file(\"...\")\n  # to replace it with the public half of a key pair you hold.\n"
        ));
    }
    out.push_str("}\n");
    out
}

/// The whole generated file: a header comment, then the applications, then
/// per page its token variable, its `page` block and, if linked, its
/// `link` block; then the links of accounts on other channels.
pub(crate) fn render_config(
    pages: &[GeneratedPage],
    links: &[GeneratedLink],
    applications: &[GeneratedApplication],
) -> String {
    let mut out = String::from(
        "# Generated by `socialform import --all-unmanaged`: pages that were connected\n\
         # to the Vonage account outside socialform, now managed by it.\n\
         # Set each page's token (e.g. SF_VAR_<name>_token) before running plan.\n",
    );
    // A link to an adopted application refers to its block.
    let application_ref = |id: &str| -> String {
        match applications.iter().find(|a| a.id.eq_ignore_ascii_case(id)) {
            Some(app) => format!("application.{}.id", app.slug),
            None => hcl_string(id),
        }
    };
    for app in applications {
        out.push('\n');
        out.push_str(&application_block(app));
    }
    for page in pages {
        let variable = page.token_variable();
        let described = match &page.name {
            Some(name) => name.clone(),
            None => format!("page {}", page.page_id),
        };
        out.push('\n');
        out.push_str(&block(
            "variable",
            &variable,
            &[
                ("type", "string".to_string()),
                ("sensitive", "true".to_string()),
                (
                    "description",
                    hcl_string(&format!("Page access token for {described}")),
                ),
            ],
        ));
        out.push('\n');
        let mut attributes = vec![("page_id", hcl_string(&page.page_id))];
        if let Some(name) = &page.name {
            attributes.push(("name", hcl_string(name)));
        }
        attributes.push(("access_token", format!("var.{variable}")));
        out.push_str(&block("page", &page.slug, &attributes));
        if let Some(application) = &page.application {
            out.push('\n');
            out.push_str(&block(
                "link",
                &page.slug,
                &[
                    ("page", format!("page.{}.page_id", page.slug)),
                    ("application", application_ref(application)),
                ],
            ));
        }
    }
    for link in links {
        out.push('\n');
        let described = match &link.name {
            Some(name) => format!("{} {} ({name})", link.channel.account_noun(), link.account),
            None => format!("{} {}", link.channel.account_noun(), link.account),
        };
        let described: String = described
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!("# {described}\n"));
        out.push_str(&block(
            "link",
            &link.slug,
            &[
                ("channel", hcl_string(link.channel.as_str())),
                ("account", hcl_string(&link.account)),
                ("application", application_ref(&link.application)),
            ],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_config_for_test(pages: &[GeneratedPage], links: &[GeneratedLink]) -> String {
        render_config(pages, links, &[])
    }

    #[test]
    fn slugs_are_identifiers_from_the_name() {
        assert_eq!(slugify("Acme Support"), "acme_support");
        assert_eq!(slugify("Acme – Support!"), "acme_support");
        assert_eq!(slugify("  --Sales__EU--  "), "sales_eu");
        assert_eq!(slugify("24/7 Help"), "page_24_7_help");
        assert_eq!(slugify("Café Crème"), "caf_cr_me");
        assert_eq!(slugify("!!!"), "page");
        assert_eq!(slugify(""), "page");
        for name in ["Acme Support", "24/7 Help", "!!!", "Ünïcode"] {
            let slug = slugify(name);
            assert!(
                format!("page.{slug}")
                    .parse::<crate::address::Address>()
                    .is_ok(),
                "{slug}"
            );
        }
    }

    #[test]
    fn pages_without_a_name_are_named_after_their_id() {
        assert_eq!(page_slug(None, "1071"), "page_1071");
        assert_eq!(page_slug(Some("  "), "1071"), "page_1071");
        assert_eq!(page_slug(Some("Help"), "1071"), "help");
    }

    #[test]
    fn slugs_are_made_unique_with_a_number() {
        let mut taken: BTreeSet<String> = ["support".to_string()].into();
        assert_eq!(unique_slug("support", &mut taken), "support_2");
        assert_eq!(unique_slug("support", &mut taken), "support_3");
        assert_eq!(unique_slug("sales", &mut taken), "sales");
        assert_eq!(unique_slug("sales", &mut taken), "sales_2");
    }

    #[test]
    fn used_names_include_blocks_and_token_variables() {
        let names = used_names(
            "variable \"help_token\" {}\nvariable \"other\" {}\n\
             page \"support\" {\n  page_id = \"1\"\n}\nlink \"bot\" {\n  page = page.support.page_id\n}\n",
        );
        let expected: BTreeSet<String> = ["bot", "help", "support"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names, expected);
        assert!(used_names("page {{{").is_empty());
    }

    #[test]
    fn strings_are_escaped_and_never_templates() {
        assert_eq!(hcl_string("Acme"), "\"Acme\"");
        assert_eq!(hcl_string("a \"b\" \\ c"), r#""a \"b\" \\ c""#);
        assert_eq!(hcl_string("${x} %{y} $z"), r#""$${x} %%{y} $z""#);
        assert_eq!(hcl_string("a\nb\u{1}"), r#""a\nb\u0001""#);
        // What hcl reads back is the original text.
        for text in ["${var.x}", "%{ if true }", "q\"uo\\te", "tab\there"] {
            let body: hcl::Body = hcl::from_str(&format!("x = {}\n", hcl_string(text))).unwrap();
            let attr = body.attributes().next().unwrap();
            assert_eq!(
                attr.expr(),
                &hcl::Expression::String(text.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn links_of_other_channels_name_channel_and_account() {
        let text = render_config_for_test(
            &[],
            &[GeneratedLink {
                slug: "whatsapp_447700900123".into(),
                channel: Channel::Whatsapp,
                account: "447700900123".into(),
                name: None,
                application: "c0ffee00-0000-4000-8000-000000000001".into(),
            }],
        );
        assert!(
            text.ends_with(
                r#"
# WhatsApp number 447700900123
link "whatsapp_447700900123" {
  channel     = "whatsapp"
  account     = "447700900123"
  application = "c0ffee00-0000-4000-8000-000000000001"
}
"#
            ),
            "{text}"
        );
        assert_eq!(
            account_slug(Channel::Rcs, None, "acme-agent"),
            "rcs_acme_agent"
        );
        assert_eq!(
            account_slug(Channel::Whatsapp, Some("Acme WA"), "1"),
            "acme_wa"
        );
    }

    #[test]
    fn renders_canonical_blocks() {
        let text = render_config_for_test(
            &[
                GeneratedPage {
                    slug: "acme_support".into(),
                    page_id: "107100000000001".into(),
                    name: Some("Acme Support".into()),
                    application: Some("c0ffee00-0000-4000-8000-000000000001".into()),
                },
                GeneratedPage {
                    slug: "page_42".into(),
                    page_id: "42".into(),
                    name: None,
                    application: None,
                },
            ],
            &[],
        );
        let expected_tail = r#"
variable "acme_support_token" {
  type        = string
  sensitive   = true
  description = "Page access token for Acme Support"
}

page "acme_support" {
  page_id      = "107100000000001"
  name         = "Acme Support"
  access_token = var.acme_support_token
}

link "acme_support" {
  page        = page.acme_support.page_id
  application = "c0ffee00-0000-4000-8000-000000000001"
}

variable "page_42_token" {
  type        = string
  sensitive   = true
  description = "Page access token for page 42"
}

page "page_42" {
  page_id      = "42"
  access_token = var.page_42_token
}
"#;
        assert!(text.starts_with("# Generated"), "{text}");
        assert!(text.ends_with(expected_tail), "{text}");
        assert!(hcl::parse(&text).is_ok());
    }
}
