//! The emulated remote side: accounts and applications, kept in ordered maps
//! so list pages are stable, optionally written through to sled so a restart
//! keeps everything.

use super::seal::Sealer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One external account as the sandbox stores and serves it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct StoredAccount {
    pub(crate) external_id: String,
    pub(crate) provider: String,
    pub(crate) api_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) applications: Vec<String>,
    /// Messenger only; served in clear, as the real API does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<String>,
}

/// One Application API v2 application.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct StoredApplication {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The capabilities object as last given (creation or a PUT).
    #[serde(default)]
    pub(crate) capabilities: Value,
    /// The PEM public key given, or the one of the key pair the sandbox
    /// made up when none was (whose private half it handed out once).
    #[serde(default)]
    pub(crate) public_key: Option<String>,
}

impl StoredApplication {
    pub(crate) fn has_messages(&self) -> bool {
        self.capabilities
            .get("messages")
            .is_some_and(|m| !m.is_null())
    }
}

/// Accounts are ordered by (provider, external_id).
pub(crate) type AccountKey = (String, String);

struct Persist {
    db: sled::Db,
    accounts: sled::Tree,
    applications: sled::Tree,
    /// Tokens are sealed on disk; see `seal.rs` for why.
    sealer: Sealer,
}

/// The field that carries a sealed token in a persisted account record.
const SEALED_TOKEN: &str = "sealed_token";

impl Persist {
    fn encode(&self, account: &StoredAccount) -> serde_json::Result<Vec<u8>> {
        let mut record = account.clone();
        let token = record.access_token.take();
        let mut value = serde_json::to_value(&record)?;
        if let (Some(token), Some(object)) = (token, value.as_object_mut()) {
            let context = account_db_key(&account.provider, &account.external_id);
            object.insert(
                SEALED_TOKEN.into(),
                Value::String(self.sealer.seal(&token, &context)),
            );
        }
        serde_json::to_vec(&value)
    }

    fn decode(&self, bytes: &[u8]) -> anyhow::Result<StoredAccount> {
        let mut value: Value = serde_json::from_slice(bytes)?;
        let sealed = value
            .as_object_mut()
            .and_then(|o| o.remove(SEALED_TOKEN))
            .and_then(|v| v.as_str().map(str::to_string));
        let mut account: StoredAccount = serde_json::from_value(value)?;
        if let Some(sealed) = sealed {
            let context = account_db_key(&account.provider, &account.external_id);
            account.access_token = Some(self.sealer.open(&sealed, &context).ok_or_else(|| {
                anyhow::anyhow!("a sealed token cannot be opened with this store's key")
            })?);
        }
        Ok(account)
    }
}

#[derive(Default)]
pub(crate) struct Store {
    accounts: BTreeMap<AccountKey, StoredAccount>,
    /// Accounts per provider, kept with `accounts`: every list request
    /// reports the total, and counting (and comparing the provider of)
    /// 10,000 accounts for each of a hundred pages was a quarter of what a
    /// list request cost.
    per_provider: HashMap<String, usize>,
    pub(crate) applications: BTreeMap<String, StoredApplication>,
    persist: Option<Persist>,
}

fn account_db_key(provider: &str, external_id: &str) -> Vec<u8> {
    // NUL cannot appear in a URL path segment the router hands over, so it
    // separates the two parts unambiguously.
    let mut key = Vec::with_capacity(provider.len() + external_id.len() + 1);
    key.extend_from_slice(provider.as_bytes());
    key.push(0);
    key.extend_from_slice(external_id.as_bytes());
    key
}

/// How long `open_db` waits for the directory's lock.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// `sled::open`, waiting a little for the directory's lock. A sandbox of
/// this process that has just closed the same directory may still hold it
/// for a moment: sled releases the lock with the last reference to its
/// files, and some of those go in deferred clean-ups (its epoch-based
/// reclamation, its background writes) that finish shortly after the
/// database is dropped. Restarting with the Graph side's extra writes made
/// that window show up in the restart tests.
fn open_db(dir: &Path) -> sled::Result<sled::Db> {
    let started = std::time::Instant::now();
    loop {
        match sled::open(dir) {
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && started.elapsed() < LOCK_PATIENCE =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

impl Store {
    pub(crate) fn in_memory() -> Self {
        Store::default()
    }

    /// Opens (or creates) the sled store in `dir` and loads everything.
    pub(crate) fn open(dir: &Path) -> anyhow::Result<Self> {
        let db = open_db(dir)
            .map_err(|e| anyhow::anyhow!("cannot open sandbox data in {}: {e}", dir.display()))?;
        let accounts_tree = db.open_tree("accounts")?;
        let applications_tree = db.open_tree("applications")?;
        let meta = db.open_tree("meta")?;
        let key = match meta.get("seal_key")? {
            Some(key) => key.to_vec(),
            None => {
                let key = Sealer::random_key();
                meta.insert("seal_key", key.as_slice())?;
                key
            }
        };
        let persist = Persist {
            db,
            accounts: accounts_tree,
            applications: applications_tree,
            sealer: Sealer::new(key)?,
        };
        let mut store = Store::default();
        for entry in persist.accounts.iter() {
            let (_, value) = entry?;
            let account = persist.decode(&value)?;
            store.insert_account(account);
        }
        for entry in persist.applications.iter() {
            let (_, value) = entry?;
            let app: StoredApplication = serde_json::from_slice(&value)?;
            store.applications.insert(app.id.clone(), app);
        }
        store.persist = Some(persist);
        Ok(store)
    }

    /// The sled database and a sealer under this store's key, for the
    /// Graph side's own trees; `None` in memory.
    pub(crate) fn backing(&self) -> Option<(&sled::Db, Sealer)> {
        self.persist.as_ref().map(|p| (&p.db, p.sealer.duplicate()))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.applications.is_empty()
    }

    pub(crate) fn account(&self, provider: &str, external_id: &str) -> Option<&StoredAccount> {
        self.accounts
            .get(&(provider.to_owned(), external_id.to_owned()))
    }

    pub(crate) fn put_account(&mut self, account: StoredAccount) {
        if let Some(p) = &self.persist {
            // Write-through without a flush: sled flushes in the background
            // and on shutdown, which keeps each request cheap.
            let key = account_db_key(&account.provider, &account.external_id);
            if let Ok(bytes) = p.encode(&account)
                && let Err(e) = p.accounts.insert(key, bytes)
            {
                tracing::warn!("sandbox: cannot persist account: {e}");
            }
        }
        self.insert_account(account);
    }

    fn insert_account(&mut self, account: StoredAccount) {
        let provider = account.provider.clone();
        let key = (provider.clone(), account.external_id.clone());
        if self.accounts.insert(key, account).is_none() {
            *self.per_provider.entry(provider).or_default() += 1;
        }
    }

    /// All accounts, or those of one provider, in key order.
    pub(crate) fn accounts(
        &self,
        provider: Option<&str>,
    ) -> Box<dyn Iterator<Item = &StoredAccount> + '_> {
        match provider {
            None => Box::new(self.accounts.values()),
            Some(p) => {
                let p = p.to_owned();
                Box::new(
                    self.accounts
                        .range((p.clone(), String::new())..)
                        .take_while(move |((provider, _), _)| *provider == p)
                        .map(|(_, account)| account),
                )
            }
        }
    }

    /// How many accounts `accounts(provider)` yields.
    pub(crate) fn count_accounts(&self, provider: Option<&str>) -> usize {
        match provider {
            None => self.accounts.len(),
            Some(p) => self.per_provider.get(p).copied().unwrap_or(0),
        }
    }

    pub(crate) fn remove_account(
        &mut self,
        provider: &str,
        external_id: &str,
    ) -> Option<StoredAccount> {
        if let Some(p) = &self.persist
            && let Err(e) = p.accounts.remove(account_db_key(provider, external_id))
        {
            tracing::warn!("sandbox: cannot persist account removal: {e}");
        }
        let removed = self
            .accounts
            .remove(&(provider.to_owned(), external_id.to_owned()));
        if removed.is_some()
            && let Some(count) = self.per_provider.get_mut(provider)
        {
            *count -= 1;
        }
        removed
    }

    pub(crate) fn put_application(&mut self, app: StoredApplication) {
        if let Some(p) = &self.persist
            && let Ok(bytes) = serde_json::to_vec(&app)
            && let Err(e) = p.applications.insert(app.id.as_bytes(), bytes)
        {
            tracing::warn!("sandbox: cannot persist application: {e}");
        }
        self.applications.insert(app.id.clone(), app);
    }

    /// Removes an application; accounts linked to it lose their link, as
    /// with the real API.
    pub(crate) fn remove_application(&mut self, id: &str) -> Option<StoredApplication> {
        let linked: Vec<AccountKey> = self
            .accounts
            .iter()
            .filter(|(_, a)| a.applications.iter().any(|app| app == id))
            .map(|(k, _)| k.clone())
            .collect();
        for key in linked {
            if let Some(mut account) = self.accounts.get(&key).cloned() {
                account.applications.retain(|app| app != id);
                self.put_account(account);
            }
        }
        if let Some(p) = &self.persist
            && let Err(e) = p.applications.remove(id.as_bytes())
        {
            tracing::warn!("sandbox: cannot persist application removal: {e}");
        }
        self.applications.remove(id)
    }

    /// Forgets everything, on disk too.
    pub(crate) fn clear(&mut self) {
        if let Some(p) = &self.persist {
            let _ = p.accounts.clear();
            let _ = p.applications.clear();
        }
        self.accounts.clear();
        self.per_provider.clear();
        self.applications.clear();
    }

    /// Creates the demo applications with their fixed ids.
    pub(crate) fn seed_demo(&mut self) {
        for (id, name, messages) in super::DEMO_APPLICATIONS {
            let capabilities = if *messages {
                serde_json::json!({ "messages": { "webhooks": {
                    "inbound_url": { "address": "https://example.com/inbound", "http_method": "POST" },
                    "status_url": { "address": "https://example.com/status", "http_method": "POST" }
                }}})
            } else {
                serde_json::json!({ "voice": { "webhooks": {
                    "answer_url": { "address": "https://example.com/answer", "http_method": "GET" }
                }}})
            };
            self.put_application(StoredApplication {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                capabilities,
                public_key: None,
            });
        }
    }

    /// Flushes sled and lets go of it (and of its directory lock), so the
    /// same directory can be opened again, even within this process.
    pub(crate) fn close(&mut self) {
        if let Some(p) = self.persist.take()
            && let Err(e) = p.db.flush()
        {
            tracing::warn!("sandbox: cannot flush data: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(provider: &str, id: &str) -> StoredAccount {
        StoredAccount {
            external_id: id.into(),
            provider: provider.into(),
            api_key: "k".into(),
            name: None,
            applications: vec![],
            access_token: None,
        }
    }

    fn ids(store: &Store, provider: Option<&str>) -> Vec<String> {
        store
            .accounts(provider)
            .map(|a| format!("{}/{}", a.provider, a.external_id))
            .collect()
    }

    #[test]
    fn per_provider_listing_and_counts_follow_every_change() {
        let mut store = Store::in_memory();
        for (provider, id) in [
            ("messenger", "2"),
            ("viber", "1"),
            ("messenger", "1"),
            ("whatsapp", "9"),
        ] {
            store.put_account(account(provider, id));
        }
        // Replacing an account does not count it twice.
        store.put_account(account("messenger", "2"));
        assert_eq!(
            ids(&store, Some("messenger")),
            ["messenger/1", "messenger/2"]
        );
        assert_eq!(store.count_accounts(Some("messenger")), 2);
        assert_eq!(store.count_accounts(None), 4);
        assert_eq!(ids(&store, Some("mess")), Vec::<String>::new());
        assert_eq!(store.count_accounts(Some("mess")), 0);

        assert!(store.remove_account("messenger", "1").is_some());
        assert!(store.remove_account("messenger", "1").is_none());
        assert_eq!(ids(&store, Some("messenger")), ["messenger/2"]);
        assert_eq!(store.count_accounts(Some("messenger")), 1);
        assert_eq!(ids(&store, None).len(), store.count_accounts(None));

        store.clear();
        assert_eq!(store.count_accounts(Some("viber")), 0);
        assert_eq!(store.count_accounts(None), 0);
    }
}
