//! Evaluating `application "NAME" { ... }` blocks: a Vonage application
//! with its messages capability. Its `id` is unknown until Vonage creates
//! it, so expressions see a placeholder (`application::unknown_id`) that
//! the planner resolves from state or from the create's answer.

use super::eval::{Evaluator, Scope};
use super::instances::Outputs;
use super::resources::{Attr, ResourceDecl};
use super::types::type_name;
use crate::address::Address;
use crate::application::{HTTP_METHODS, Messages, Settings, VERSIONS, key_fingerprint};
use crate::desired::DesiredApplication;
use hcl::{Map, Value};

impl Evaluator<'_> {
    pub(crate) fn application(
        &mut self,
        decl: &ResourceDecl,
        address: Address,
        each: Option<&Value>,
        scope: Scope,
        out: &mut Outputs,
    ) -> Option<Value> {
        let name = self.string_attr(
            &decl.attrs["name"],
            scope,
            each,
            "write the application's name, e.g. name = \"Acme Support Bot\"",
        );
        let name = name.and_then(|n| {
            if n.trim().is_empty() {
                self.error(
                    &decl.attrs["name"].expr_span,
                    "name must not be empty",
                    Some("Vonage requires a name: write name = \"Acme Support Bot\"".into()),
                );
                None
            } else {
                Some(n)
            }
        });
        let inbound = self.webhook(decl, "messages.inbound_url", scope, each);
        let status = self.webhook(decl, "messages.status_url", scope, each);
        let method = self.choice(
            decl,
            "messages.http_method",
            &HTTP_METHODS,
            "POST",
            scope,
            each,
        );
        // Each webhook may name its own method; both default to http_method.
        let (inbound_method, status_method) = match &method {
            Some(method) => (
                self.choice(
                    decl,
                    "messages.inbound_http_method",
                    &HTTP_METHODS,
                    method,
                    scope,
                    each,
                ),
                self.choice(
                    decl,
                    "messages.status_http_method",
                    &HTTP_METHODS,
                    method,
                    scope,
                    each,
                ),
            ),
            None => (None, None),
        };
        let version = self.choice(decl, "messages.version", &VERSIONS, "v1", scope, each);
        let media = self.flag(decl, "messages.authenticate_inbound_media", scope, each);
        let public_key = self.public_key(decl, scope, each);
        let (name, inbound, status, inbound_method, status_method, version, media, public_key) = (
            name?,
            inbound?,
            status?,
            inbound_method?,
            status_method?,
            version?,
            media?,
            public_key?,
        );
        let mut fields = Map::new();
        fields.insert(
            "id".to_string(),
            Value::from(crate::application::unknown_id(&address)),
        );
        fields.insert("name".to_string(), Value::from(name.as_str()));
        let location = self.sources.location(&decl.label_span);
        out.applications.push(DesiredApplication {
            address,
            settings: Settings {
                name,
                messages: Some(Messages {
                    inbound_url: inbound,
                    inbound_method,
                    status_url: status,
                    status_method,
                    version,
                    authenticate_inbound_media: media,
                }),
                public_key_fingerprint: public_key.as_deref().map(key_fingerprint),
            },
            public_key,
            location,
        });
        Some(Value::Object(fields))
    }

    /// A webhook address: an absolute http(s) URL. Whether it is https is
    /// the planner's warning, not an error: Vonage accepts http.
    fn webhook(
        &mut self,
        decl: &ResourceDecl,
        name: &str,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<String> {
        let attr = decl.attrs.get(name)?;
        let short = name.trim_start_matches("messages.");
        let help = format!(
            "write the webhook's address, e.g. {short} = \"https://example.com/{}\"",
            short.trim_end_matches("_url")
        );
        let url = self.string_attr(attr, scope, each, &help)?;
        let valid = reqwest::Url::parse(&url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !valid {
            self.error(
                &attr.expr_span,
                format!("{short} must be an absolute https:// URL, got {url:?}"),
                Some(help),
            );
            return None;
        }
        Some(url)
    }

    /// A string attribute with a closed set of values and a default.
    fn choice(
        &mut self,
        decl: &ResourceDecl,
        name: &str,
        allowed: &[&str],
        default: &str,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<String> {
        let Some(attr) = decl.attrs.get(name) else {
            return Some(default.to_string());
        };
        let listed = allowed
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(" or ");
        let short = name.trim_start_matches("messages.");
        let help = format!("write {short} = {listed} (default {default:?})");
        let value = self.string_attr(attr, scope, each, &help)?;
        if allowed.contains(&value.as_str()) {
            return Some(value);
        }
        self.error(
            &attr.expr_span,
            format!("{short} must be {listed}, got {value:?}"),
            Some(help),
        );
        None
    }

    fn flag(
        &mut self,
        decl: &ResourceDecl,
        name: &str,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<bool> {
        let Some(attr) = decl.attrs.get(name) else {
            return Some(false);
        };
        match self.eval(attr, scope, each)? {
            Value::Bool(b) => Some(b),
            other => {
                let short = name.trim_start_matches("messages.");
                self.error(
                    &attr.expr_span,
                    format!("{short} must be true or false, got {}", type_name(&other)),
                    Some(format!("write {short} = false")),
                );
                None
            }
        }
    }

    /// `public_key`: a PEM public key, `Some(None)` when not set. A private
    /// key here is refused without echoing it: socialform never handles
    /// an application's private key.
    fn public_key(
        &mut self,
        decl: &ResourceDecl,
        scope: Scope,
        each: Option<&Value>,
    ) -> Option<Option<String>> {
        let Some(attr) = decl.attrs.get("public_key") else {
            return Some(None);
        };
        let attr: &Attr = attr;
        let help = "give the public half of the application's key pair as PEM, e.g. \
                    public_key = file(\"keys/support.pub\") (make it with `openssl pkey -in \
                    support.key -pubout -out keys/support.pub`)";
        match self.eval(attr, scope, each)? {
            Value::Null => Some(None),
            Value::String(pem) if pem.contains("PRIVATE KEY") => {
                self.error(
                    &attr.expr_span,
                    "public_key holds a private key; socialform never sends or keeps an \
                     application's private key",
                    Some(format!(
                        "{help}; keep the private key out of the configuration"
                    )),
                );
                None
            }
            Value::String(pem) if pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") => {
                Some(Some(pem))
            }
            Value::String(_) => {
                self.error(
                    &attr.expr_span,
                    "public_key is not a PEM public key (it must start with -----BEGIN PUBLIC KEY-----)",
                    Some(help.into()),
                );
                None
            }
            other => {
                self.error(
                    &attr.expr_span,
                    format!("public_key must be a string, got {}", type_name(&other)),
                    Some(help.into()),
                );
                None
            }
        }
    }
}
