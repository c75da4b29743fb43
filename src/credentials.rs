//! Where `socialform login facebook` keeps the user token, and where the
//! `facebook` provider finds it again: the operating system's credential
//! store (Secret Service, Keychain, Credential Manager) where one is
//! reachable, else `credentials.json` under the user's configuration
//! directory (`$XDG_CONFIG_HOME/socialform/`, default
//! `~/.config/socialform/`), mode 0600. `SOCIALFORM_CREDENTIAL_STORE=file`
//! or `=keyring` forces one.
//!
//! Logins are kept per Graph endpoint: a token got from the sandbox is
//! never sent to Facebook, nor a Facebook token to a sandbox. Nothing here
//! is ever written under the configuration directory or into state.

use crate::private_fs::{create_private_dir, open_private_file};
use crate::secret::Secret;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

const FILE_NAME: &str = "credentials.json";
const FORMAT_VERSION: u32 = 1;

/// A stored Facebook login: the token, and what `debug_token` said of it
/// when it was stored (for `login`'s report; health is asked afresh on
/// every run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredLogin {
    pub(crate) token: Secret,
    pub(crate) user_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) system_user: bool,
    /// Unix seconds; `None` never.
    pub(crate) expires_at: Option<i64>,
    pub(crate) app_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    access_token: String,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    system_user: bool,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    app_id: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
struct Document {
    #[serde(default)]
    format_version: u32,
    /// Graph endpoint → login.
    #[serde(default)]
    facebook: BTreeMap<String, Wire>,
}

/// Where logins are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Store {
    /// The 0600 file only (`SOCIALFORM_CREDENTIAL_STORE=file`).
    File(PathBuf),
    /// The operating system's credential store only
    /// (`SOCIALFORM_CREDENTIAL_STORE=keyring`).
    Keyring,
    /// The default: the operating system's credential store where one is
    /// reachable, else the file. Read keyring first, then file; logout
    /// clears both.
    Auto(PathBuf),
}

/// The keyring entry's service; its user is the endpoint key. Kept
/// stable: a renamed entry would be a lost login.
const KEYRING_SERVICE: &str = "socialform";

/// How long one keyring call may take before the store counts as not
/// reachable (a bus that never answers, a prompt nobody sees).
const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// The operating system's credential store, for people.
#[cfg(target_os = "macos")]
const KEYRING_NAME: &str = "the system keyring (Keychain)";
#[cfg(target_os = "windows")]
const KEYRING_NAME: &str = "the system keyring (Credential Manager)";
#[cfg(not(any(target_os = "macos", target_os = "windows")))]
const KEYRING_NAME: &str = "the system keyring (Secret Service)";

impl Store {
    /// The store to use, from the environment: `SOCIALFORM_CREDENTIAL_STORE`,
    /// `XDG_CONFIG_HOME`, `HOME`. Nothing is probed here.
    pub(crate) fn choose(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Store> {
        let forced = match env("SOCIALFORM_CREDENTIAL_STORE").as_deref().map(str::trim) {
            None | Some("") => None,
            Some("file") => Some(false),
            Some("keyring") => return Ok(Store::Keyring),
            Some(other) => bail!(
                "SOCIALFORM_CREDENTIAL_STORE={other:?} is not a credential store: use file or \
                 keyring"
            ),
        };
        let base = match env("XDG_CONFIG_HOME").filter(|v| Path::new(v).is_absolute()) {
            Some(dir) => PathBuf::from(dir),
            None => match env("HOME").filter(|v| !v.is_empty()) {
                Some(home) => PathBuf::from(home).join(".config"),
                None => bail!(
                    "cannot tell where to keep the Facebook login: neither XDG_CONFIG_HOME \
                     nor HOME is set; set one of them"
                ),
            },
        };
        let file = base.join("socialform").join(FILE_NAME);
        Ok(match forced {
            Some(_) => Store::File(file),
            None => Store::Auto(file),
        })
    }

    /// Fails early, before anything is asked of Facebook, when the store
    /// cannot be used at all: a forced keyring that is not reachable.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if let Store::Keyring = self {
            keyring_forced(probe())?;
        }
        Ok(())
    }

    /// For people: where the login is (or would be) kept.
    pub(crate) fn describe(&self) -> String {
        match self {
            Store::File(path) => describe_file(path),
            Store::Keyring => KEYRING_NAME.to_string(),
            Store::Auto(path) => match probe() {
                Ok(()) => format!("{KEYRING_NAME} and {}", describe_file(path)),
                Err(_) => describe_file(path),
            },
        }
    }

    /// The login stored for `endpoint`, if any.
    pub(crate) fn load(&self, endpoint: &str) -> anyhow::Result<Option<StoredLogin>> {
        match self {
            Store::File(path) => load_file(path, endpoint),
            Store::Keyring => {
                keyring_forced(probe())?;
                keyring_forced(keyring_get(endpoint))?
                    .map(|text| from_keyring(&text))
                    .transpose()
            }
            Store::Auto(path) => {
                if probe().is_ok() {
                    match keyring_get(endpoint) {
                        Ok(Some(text)) => return from_keyring(&text).map(Some),
                        Ok(None) => {}
                        Err(reason) => tracing::debug!(
                            "the system keyring could not be read ({reason}); trying the file"
                        ),
                    }
                }
                load_file(path, endpoint)
            }
        }
    }

    /// Keeps `login` for `endpoint`, replacing any earlier one; says where,
    /// for people.
    pub(crate) fn save(&self, endpoint: &str, login: &StoredLogin) -> anyhow::Result<String> {
        match self {
            Store::File(path) => {
                save_file(path, endpoint, login)?;
                Ok(describe_file(path))
            }
            Store::Keyring => {
                keyring_forced(probe())?;
                keyring_forced(keyring_set(endpoint, login))?;
                Ok(KEYRING_NAME.to_string())
            }
            Store::Auto(path) => {
                let kept = probe().and_then(|()| keyring_set(endpoint, login));
                match kept {
                    Ok(()) => {
                        // An older login in the file would only confuse.
                        remove_file_entry(path, endpoint)?;
                        Ok(KEYRING_NAME.to_string())
                    }
                    Err(reason) => {
                        save_file(path, endpoint, login)?;
                        Ok(format!(
                            "{}: no system keyring is reachable here ({reason})",
                            describe_file(path)
                        ))
                    }
                }
            }
        }
    }

    /// Forgets the login for `endpoint`; `false` when there was none.
    pub(crate) fn remove(&self, endpoint: &str) -> anyhow::Result<bool> {
        match self {
            Store::File(path) => remove_file_entry(path, endpoint),
            Store::Keyring => {
                keyring_forced(probe())?;
                keyring_forced(keyring_delete(endpoint))
            }
            Store::Auto(path) => {
                let from_keyring = match probe() {
                    Ok(()) => keyring_delete(endpoint).map_err(|reason| {
                        anyhow::anyhow!("could not remove the login from {KEYRING_NAME}: {reason}")
                    })?,
                    Err(_) => false,
                };
                let from_file = remove_file_entry(path, endpoint)?;
                Ok(from_keyring || from_file)
            }
        }
    }
}

fn describe_file(path: &Path) -> String {
    format!("{} (mode 0600)", path.display())
}

/// A keyring failure when the keyring was asked for by name.
fn keyring_forced<T>(result: Result<T, String>) -> anyhow::Result<T> {
    result.map_err(|reason| {
        anyhow::anyhow!(
            "SOCIALFORM_CREDENTIAL_STORE=keyring, but {KEYRING_NAME} cannot be used here \
             ({reason}): start one, or set SOCIALFORM_CREDENTIAL_STORE=file to keep the login \
             in a 0600 file under your configuration directory"
        )
    })
}

/// Runs one keyring call on a thread of its own, given at most
/// `KEYRING_TIMEOUT`; a call that takes longer is left behind.
fn bounded<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let _ = send.send(call());
        })
        .map_err(|e| format!("could not start a thread: {e}"))?;
    match receive.recv_timeout(KEYRING_TIMEOUT) {
        Ok(result) => result,
        Err(_) => Err(format!(
            "it did not answer within {} s",
            KEYRING_TIMEOUT.as_secs()
        )),
    }
}

/// Whether the keyring is reachable; asked once a process.
fn probe() -> Result<(), String> {
    static PROBED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    PROBED
        .get_or_init(|| {
            bounded(|| {
                keyring::Entry::store_status()
                    .as_ref()
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .clone()
}

fn entry(endpoint: &str) -> Result<keyring::Entry, String> {
    keyring::Entry::new(KEYRING_SERVICE, endpoint).map_err(|e| e.to_string())
}

fn keyring_get(endpoint: &str) -> Result<Option<zeroize::Zeroizing<String>>, String> {
    let endpoint = endpoint.to_string();
    bounded(move || match entry(&endpoint)?.get_password() {
        Ok(text) => Ok(Some(zeroize::Zeroizing::new(text))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.to_string()),
    })
}

fn keyring_set(endpoint: &str, login: &StoredLogin) -> Result<(), String> {
    let endpoint = endpoint.to_string();
    let text = zeroize::Zeroizing::new(
        serde_json::to_string(&to_wire(login)).expect("a login serializes"),
    );
    bounded(move || {
        entry(&endpoint)?
            .set_password(&text)
            .map_err(|e| e.to_string())
    })
}

/// `false` when there was no entry.
fn keyring_delete(endpoint: &str) -> Result<bool, String> {
    let endpoint = endpoint.to_string();
    bounded(move || match entry(&endpoint)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(e.to_string()),
    })
}

fn from_keyring(text: &str) -> anyhow::Result<StoredLogin> {
    // serde_json's message names a line and column, never the content.
    let wire: Wire = serde_json::from_str(text).with_context(|| {
        format!(
            "the login kept in {KEYRING_NAME} (service {KEYRING_SERVICE}) is not one socialform \
             wrote; run socialform logout facebook, then login again"
        )
    })?;
    Ok(from_wire(&wire))
}

fn to_wire(login: &StoredLogin) -> Wire {
    Wire {
        access_token: login.token.expose().to_string(),
        user_id: login.user_id.clone(),
        name: login.name.clone(),
        system_user: login.system_user,
        expires_at: login.expires_at,
        app_id: login.app_id.clone(),
    }
}

fn from_wire(wire: &Wire) -> StoredLogin {
    StoredLogin {
        token: Secret::new(wire.access_token.clone()),
        user_id: wire.user_id.clone(),
        name: wire.name.clone(),
        system_user: wire.system_user,
        expires_at: wire.expires_at,
        app_id: wire.app_id.clone(),
    }
}

fn load_file(path: &Path, endpoint: &str) -> anyhow::Result<Option<StoredLogin>> {
    let document = read(path)?;
    Ok(document.facebook.get(endpoint).map(from_wire))
}

fn save_file(path: &Path, endpoint: &str, login: &StoredLogin) -> anyhow::Result<()> {
    update(path, |document| {
        document
            .facebook
            .insert(endpoint.to_string(), to_wire(login));
    })
}

fn remove_file_entry(path: &Path, endpoint: &str) -> anyhow::Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    let mut removed = false;
    update(path, |document| {
        removed = document.facebook.remove(endpoint).is_some();
    })?;
    Ok(removed)
}

fn read(path: &Path) -> anyhow::Result<Document> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => zeroize::Zeroizing::new(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Document::default()),
        Err(e) => {
            return Err(e).with_context(|| format!("could not read {}", path.display()));
        }
    };
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> anyhow::Result<Document> {
    if text.trim().is_empty() {
        return Ok(Document::default());
    }
    // serde_json's message names a line and column, never the content.
    serde_json::from_str(text).with_context(|| {
        format!(
            "{} is not a socialform credentials file; move it away and run socialform login \
             facebook again",
            path.display()
        )
    })
}

/// Reads, changes and rewrites the file in place, created 0600 in a
/// directory created 0700.
fn update(path: &Path, change: impl FnOnce(&mut Document)) -> anyhow::Result<()> {
    let failed = || format!("could not write {}", path.display());
    if let Some(dir) = path.parent() {
        create_private_dir(dir).with_context(failed)?;
    }
    let mut file = open_private_file(path).with_context(failed)?;
    let mut text = zeroize::Zeroizing::new(String::new());
    file.read_to_string(&mut text).with_context(failed)?;
    let mut document = parse(path, &text)?;
    document.format_version = FORMAT_VERSION;
    change(&mut document);
    let bytes = zeroize::Zeroizing::new(
        serde_json::to_vec_pretty(&document).expect("the document serializes"),
    );
    file.set_len(0).with_context(failed)?;
    file.rewind().with_context(failed)?;
    file.write_all(&bytes).with_context(failed)?;
    file.write_all(b"\n").with_context(failed)?;
    file.sync_all().with_context(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn login(token: &str) -> StoredLogin {
        StoredLogin {
            token: Secret::new(token),
            user_id: Some("9".into()),
            name: Some("Ada".into()),
            system_user: false,
            expires_at: Some(1_800_000_000),
            app_id: Some("1".into()),
        }
    }

    #[test]
    fn the_file_is_chosen_from_xdg_config_home_then_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Store::choose(&env(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])).unwrap(),
            Store::Auto("/x/socialform/credentials.json".into())
        );
        assert_eq!(
            Store::choose(&env(&[
                ("XDG_CONFIG_HOME", "relative"),
                ("HOME", "/h"),
                ("SOCIALFORM_CREDENTIAL_STORE", "file")
            ]))
            .unwrap(),
            Store::File("/h/.config/socialform/credentials.json".into())
        );
        assert!(Store::choose(&env(&[])).is_err());
        assert_eq!(
            Store::choose(&env(&[("SOCIALFORM_CREDENTIAL_STORE", "keyring")])).unwrap(),
            Store::Keyring
        );
        assert!(Store::choose(&env(&[("SOCIALFORM_CREDENTIAL_STORE", "vault")])).is_err());
    }

    #[test]
    fn logins_are_kept_per_endpoint_in_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/socialform/credentials.json");
        let store = Store::File(path.clone());
        assert_eq!(store.load("https://graph.facebook.com").unwrap(), None);
        store
            .save("https://graph.facebook.com", &login("EAAone"))
            .unwrap();
        store.save("sandbox", &login("EAAtwo")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        assert_eq!(
            store.load("https://graph.facebook.com").unwrap(),
            Some(login("EAAone"))
        );
        assert!(store.remove("sandbox").unwrap());
        assert!(!store.remove("sandbox").unwrap());
        assert_eq!(store.load("sandbox").unwrap(), None);
        assert!(store.load("https://graph.facebook.com").unwrap().is_some());
        std::fs::write(&path, "not json").unwrap();
        let error = format!("{:#}", store.load("sandbox").unwrap_err());
        assert!(
            error.contains("not a socialform credentials file"),
            "{error}"
        );
    }
}
