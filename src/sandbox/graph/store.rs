//! The Graph side's world: users (each known by the token the test gave
//! it), the pages they manage, and every token minted for them.
//!
//! Invariants:
//! - every page has a current token, a `Page`-owned entry of `tokens`; it is
//!   what `/me/accounts` and `/{page-id}` hand out;
//! - every user has at least one token, a `User`-owned entry of `tokens`:
//!   the one the test gave it, and any that a login or an exchange minted;
//! - a token, once issued, stays known (valid, revoked or expired) until a
//!   reset, so checking an old token says why it no longer works.
//!
//! With a data directory everything is written through to sled trees of the
//! Vonage store's database, tokens sealed like the tokens Vonage holds (the
//! data lives under socialform's state directory, which holds no token in
//! clear). Token records are keyed by a random id, never by the token.

use super::usage::Usage;
use crate::sandbox::seal::Sealer;
use rand::RngExt;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Facebook grants data access for 90 days from a login.
const DATA_ACCESS_SECS: u64 = 90 * 24 * 3600;

/// What a page's manager may do by default: everything, as for a page admin.
pub(crate) const DEFAULT_TASKS: &[&str] = &[
    "ADVERTISE",
    "ANALYZE",
    "CREATE_CONTENT",
    "MESSAGING",
    "MODERATE",
    "MANAGE",
];

pub(crate) const DEFAULT_CATEGORY: &str = "Product/service";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct ManagedPage {
    pub(crate) page_id: String,
    pub(crate) tasks: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) name: String,
    /// In the order `/me/accounts` lists them.
    pub(crate) pages: Vec<ManagedPage>,
    /// A Business Manager system user: `debug_token` says `SYSTEM_USER`.
    #[serde(default)]
    pub(crate) system_user: bool,
    /// The permissions this user grants when asked (the dialog and the
    /// device flow grant the asked ones among these).
    #[serde(default = "default_user_scopes")]
    pub(crate) grants: Vec<String>,
}

/// What a user grants unless the test says otherwise: everything a page
/// token needs, and the public profile every login gets.
pub(crate) const USER_SCOPES: &[&str] = &[
    "pages_messaging",
    "pages_manage_metadata",
    "pages_show_list",
    "public_profile",
];

fn default_user_scopes() -> Vec<String> {
    USER_SCOPES.iter().map(|s| (*s).to_owned()).collect()
}

impl User {
    pub(crate) fn manages(&self, page_id: &str) -> Option<&ManagedPage> {
        self.pages.iter().find(|p| p.page_id == page_id)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Page {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: String,
    /// Held in memory only; on disk it is sealed (see `PageRecord`).
    #[serde(skip)]
    pub(crate) current_token: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub(crate) enum Owner {
    Page(String),
    User(String),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct TokenRecord {
    /// The record's key on disk.
    pub(crate) id: String,
    pub(crate) owner: Owner,
    pub(crate) valid: bool,
    /// Unix seconds; 0 = never.
    pub(crate) expires_at: u64,
    pub(crate) data_access_expires_at: u64,
    /// For a page token: the user it was handed to, if any.
    #[serde(default)]
    pub(crate) user_id: Option<String>,
    /// For a user token: the permissions granted to it; `None` for the
    /// token a test gave a user, which has all the user grants.
    #[serde(default)]
    pub(crate) scopes: Option<Vec<String>>,
}

/// Whether a token can be used at `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Health {
    Valid,
    Revoked,
    Expired,
}

impl TokenRecord {
    pub(crate) fn health(&self, now: u64) -> Health {
        if !self.valid {
            Health::Revoked
        } else if self.expires_at != 0 && self.expires_at <= now {
            Health::Expired
        } else {
            Health::Valid
        }
    }
}

/// What kind of user `put_user_with` makes.
#[derive(Clone, Debug, Default)]
pub(crate) struct UserOptions {
    pub(crate) system_user: bool,
    /// `None`: every permission a page token needs.
    pub(crate) grants: Option<Vec<String>>,
}

/// What a caller asks `put_user` for: one page the user manages.
#[derive(Clone, Debug)]
pub(crate) struct NewPage {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) tasks: Vec<String>,
    pub(crate) category: Option<String>,
}

struct Persist {
    users: sled::Tree,
    pages: sled::Tree,
    tokens: sled::Tree,
    sealer: Sealer,
}

const SEALED: &str = "sealed_token";

fn token_context(id: &str) -> Vec<u8> {
    [b"facebook-token\0".as_slice(), id.as_bytes()].concat()
}

fn page_context(id: &str) -> Vec<u8> {
    [b"facebook-page\0".as_slice(), id.as_bytes()].concat()
}

impl Persist {
    fn sealed_record<T: Serialize>(&self, record: &T, token: &str, context: &[u8]) -> Vec<u8> {
        let mut value = serde_json::to_value(record).expect("records serialize");
        if let Some(object) = value.as_object_mut() {
            object.insert(
                SEALED.into(),
                Value::String(self.sealer.seal(token, context)),
            );
        }
        serde_json::to_vec(&value).expect("JSON values serialize")
    }

    fn opened<T: for<'de> Deserialize<'de>>(
        &self,
        bytes: &[u8],
        context: impl Fn(&T) -> Vec<u8>,
    ) -> anyhow::Result<(T, String)> {
        let mut value: Value = serde_json::from_slice(bytes)?;
        let sealed = value
            .as_object_mut()
            .and_then(|o| o.remove(SEALED))
            .and_then(|v| v.as_str().map(str::to_owned))
            .ok_or_else(|| anyhow::anyhow!("a Facebook record has no sealed token"))?;
        let record: T = serde_json::from_value(value)?;
        let token = self
            .sealer
            .open(&sealed, &context(&record))
            .ok_or_else(|| {
                anyhow::anyhow!("a sealed Facebook token cannot be opened with this store's key")
            })?;
        Ok((record, token))
    }

    fn write(&self, tree: &sled::Tree, key: &str, bytes: Vec<u8>) {
        // Write-through without a flush, like the Vonage side: the store's
        // close flushes the whole database.
        if let Err(e) = tree.insert(key.as_bytes(), bytes) {
            tracing::warn!("sandbox: cannot persist Facebook data: {e}");
        }
    }
}

#[derive(Default)]
pub(crate) struct GraphStore {
    users: BTreeMap<String, User>,
    pages: BTreeMap<String, Page>,
    tokens: HashMap<String, TokenRecord>,
    persist: Option<Persist>,
    /// Rate-limit usage. Kept beside the data every Graph call locks
    /// anyway, but never persisted: a restarted sandbox starts unspent.
    pub(crate) usage: Usage,
    /// Logins in progress (OAuth codes, device logins); memory only.
    pub(crate) logins: super::login::Logins,
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A Facebook-looking token: `EAA` and 100 alphanumerics from the thread's
/// CSPRNG, so that tokens cannot be guessed from one another.
pub(crate) fn mint_token_text() -> String {
    let mut token = String::with_capacity(103);
    token.push_str("EAA");
    token.extend(
        rand::rng()
            .sample_iter(Alphanumeric)
            .take(100)
            .map(char::from),
    );
    token
}

/// A numeric id of 15 digits, like Facebook's user and page ids.
fn numeric_id() -> String {
    let n: u64 = rand::rng().random_range(100_000_000_000_000..1_000_000_000_000_000);
    n.to_string()
}

fn record_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl GraphStore {
    pub(crate) fn in_memory() -> Self {
        GraphStore::default()
    }

    /// Opens (or creates) the Facebook trees of the sandbox's sled database
    /// and loads them.
    pub(crate) fn open(db: &sled::Db, sealer: Sealer) -> anyhow::Result<Self> {
        let persist = Persist {
            users: db.open_tree("facebook_users")?,
            pages: db.open_tree("facebook_pages")?,
            tokens: db.open_tree("facebook_tokens")?,
            sealer,
        };
        let mut store = GraphStore::default();
        for entry in persist.users.iter() {
            let (_, bytes) = entry?;
            let user: User = serde_json::from_slice(&bytes)?;
            store.users.insert(user.id.clone(), user);
        }
        for entry in persist.tokens.iter() {
            let (_, bytes) = entry?;
            let (record, token): (TokenRecord, _) =
                persist.opened(&bytes, |r: &TokenRecord| token_context(&r.id))?;
            store.tokens.insert(token, record);
        }
        for entry in persist.pages.iter() {
            let (_, bytes) = entry?;
            let (mut page, token): (Page, _) =
                persist.opened(&bytes, |p: &Page| page_context(&p.id))?;
            page.current_token = token;
            store.pages.insert(page.id.clone(), page);
        }
        store.persist = Some(persist);
        Ok(store)
    }

    /// Lets go of the trees (which keep the database, and its directory
    /// lock, alive); the owner of the database flushes it.
    pub(crate) fn close(&mut self) {
        self.persist = None;
    }

    pub(crate) fn clear(&mut self) {
        if let Some(p) = &self.persist {
            for tree in [&p.users, &p.pages, &p.tokens] {
                if let Err(e) = tree.clear() {
                    tracing::warn!("sandbox: cannot clear Facebook data: {e}");
                }
            }
        }
        self.users.clear();
        self.pages.clear();
        self.tokens.clear();
        self.usage = Usage::default();
        self.logins = Default::default();
    }

    fn save_user(&self, user: &User) {
        if let Some(p) = &self.persist {
            let bytes = serde_json::to_vec(user).expect("users serialize");
            p.write(&p.users, &user.id, bytes);
        }
    }

    fn save_page(&self, page: &Page) {
        if let Some(p) = &self.persist {
            let bytes = p.sealed_record(page, &page.current_token, &page_context(&page.id));
            p.write(&p.pages, &page.id, bytes);
        }
    }

    fn save_token(&self, token: &str, record: &TokenRecord) {
        if let Some(p) = &self.persist {
            let bytes = p.sealed_record(record, token, &token_context(&record.id));
            p.write(&p.tokens, &record.id, bytes);
        }
    }

    pub(crate) fn token(&self, token: &str) -> Option<&TokenRecord> {
        self.tokens.get(token)
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    pub(crate) fn page(&self, id: &str) -> Option<&Page> {
        self.pages.get(id)
    }

    /// The user a token belongs to, if it is a user token.
    pub(crate) fn user_of_token(&self, token: &str) -> Option<&User> {
        match &self.tokens.get(token)?.owner {
            Owner::User(id) => self.users.get(id),
            Owner::Page(_) => None,
        }
    }

    /// Some user who manages the page, to name in its tokens' debug info.
    fn a_manager_of(&self, page_id: &str) -> Option<String> {
        self.users
            .values()
            .find(|u| u.manages(page_id).is_some())
            .map(|u| u.id.clone())
    }

    /// Mints a page token and makes it the page's current one: what
    /// `/me/accounts` hands out from now on.
    pub(crate) fn mint_page_token(
        &mut self,
        page_id: &str,
        expires_at: u64,
        user_id: Option<String>,
    ) -> Option<String> {
        let token = self.mint_other_page_token(page_id, expires_at, user_id)?;
        let mut page = self.pages.get(page_id)?.clone();
        page.current_token = token.clone();
        self.save_page(&page);
        self.pages.insert(page.id.clone(), page);
        Some(token)
    }

    /// Mints another token of the page, as a hand reconnect does (a token
    /// copied from somewhere else), leaving what `/me/accounts` hands out
    /// as it was: on Facebook that follows the user token it is read with.
    pub(crate) fn mint_other_page_token(
        &mut self,
        page_id: &str,
        expires_at: u64,
        user_id: Option<String>,
    ) -> Option<String> {
        let user_id = user_id.or_else(|| self.a_manager_of(page_id));
        self.pages.get(page_id)?;
        let token = mint_token_text();
        let record = TokenRecord {
            id: record_id(),
            owner: Owner::Page(page_id.to_owned()),
            valid: true,
            expires_at,
            data_access_expires_at: now() + DATA_ACCESS_SECS,
            user_id,
            scopes: None,
        };
        self.save_token(&token, &record);
        self.tokens.insert(token.clone(), record);
        Some(token)
    }

    /// The page's token as Facebook hands it to `user_id` reading with a
    /// user token that expires at `follows` (0 = never): a page token
    /// lasts as long as the user token it was read with. The current token
    /// is handed out while it is valid and lasts exactly that long;
    /// otherwise (revoked, or read with a user token of another lifetime)
    /// a new one is minted, as a fresh login does.
    pub(crate) fn current_token(
        &mut self,
        page_id: &str,
        user_id: Option<&str>,
        follows: u64,
    ) -> Option<String> {
        let current = &self.pages.get(page_id)?.current_token;
        match self.tokens.get(current) {
            Some(record) if record.valid && record.expires_at == follows => Some(current.clone()),
            _ => self.mint_page_token(page_id, follows, user_id.map(str::to_owned)),
        }
    }

    /// Creates the user of `user_token`, or updates it: it then manages
    /// exactly `pages`, in that order. Pages are shared between users; a
    /// page keeps its current token when that one is valid and never
    /// expires, and otherwise gets a new one of that kind. Answers each
    /// page's id and current token. `Err` when the token is a page token.
    pub(crate) fn put_user(
        &mut self,
        user_token: &str,
        pages: Vec<NewPage>,
    ) -> Result<Vec<(String, String)>, String> {
        self.put_user_with(user_token, pages, UserOptions::default())
    }

    /// `put_user`, with what kind of user it is and what it grants.
    pub(crate) fn put_user_with(
        &mut self,
        user_token: &str,
        pages: Vec<NewPage>,
        options: UserOptions,
    ) -> Result<Vec<(String, String)>, String> {
        let user_id = match self.tokens.get(user_token).map(|r| &r.owner) {
            Some(Owner::User(id)) => id.clone(),
            Some(Owner::Page(_)) => return Err("user_token is a page token".into()),
            None => {
                let id = numeric_id();
                let record = TokenRecord {
                    id: record_id(),
                    owner: Owner::User(id.clone()),
                    valid: true,
                    expires_at: 0,
                    data_access_expires_at: now() + DATA_ACCESS_SECS,
                    user_id: Some(id.clone()),
                    scopes: None,
                };
                self.save_token(user_token, &record);
                self.tokens.insert(user_token.to_owned(), record);
                id
            }
        };
        let user = User {
            id: user_id.clone(),
            name: format!(
                "Sandbox User {}",
                &user_id[user_id.len().saturating_sub(4)..]
            ),
            pages: pages
                .iter()
                .map(|p| ManagedPage {
                    page_id: p.id.clone(),
                    tasks: p.tasks.clone(),
                })
                .collect(),
            system_user: options.system_user,
            grants: options.grants.unwrap_or_else(default_user_scopes),
        };
        self.save_user(&user);
        self.users.insert(user_id.clone(), user);

        let mut answer = Vec::with_capacity(pages.len());
        for new in pages {
            let kept = self.pages.get(&new.id).and_then(|page| {
                let record = self.tokens.get(&page.current_token)?;
                (record.health(now()) == Health::Valid && record.expires_at == 0)
                    .then(|| page.current_token.clone())
            });
            let category = new
                .category
                .or_else(|| self.pages.get(&new.id).map(|p| p.category.clone()))
                .unwrap_or_else(|| DEFAULT_CATEGORY.to_owned());
            let page = Page {
                id: new.id.clone(),
                name: new.name,
                category,
                current_token: kept.clone().unwrap_or_default(),
            };
            self.save_page(&page);
            self.pages.insert(page.id.clone(), page);
            let token = match kept {
                Some(token) => token,
                None => self
                    .mint_page_token(&new.id, 0, Some(user_id.clone()))
                    .expect("the page was just stored"),
            };
            answer.push((new.id, token));
        }
        Ok(answer)
    }

    /// Makes sure the demo user (`DEMO_FACEBOOK_USER_TOKEN`) manages the
    /// demo pages, keeping whatever tokens it already has.
    pub(crate) fn seed_demo(&mut self) {
        self.ensure_user(
            crate::sandbox::DEMO_FACEBOOK_USER_TOKEN,
            crate::sandbox::DEMO_FACEBOOK_PAGES,
        );
    }

    /// Makes sure the user of `user_token` exists and manages each of
    /// `pages`, adding what is missing and changing nothing else (tokens
    /// included), so seeding at every start keeps what earlier runs handed
    /// out.
    pub(crate) fn ensure_user(&mut self, user_token: &str, pages: &[(&str, &str)]) {
        let existing = self.user_of_token(user_token).cloned();
        let missing = |id: &str| {
            existing.as_ref().is_none_or(|u| u.manages(id).is_none())
                || !self.pages.contains_key(id)
        };
        if existing.is_some() && !pages.iter().any(|(id, _)| missing(id)) {
            return;
        }
        // Keep the pages the user has, then add the missing ones; put_user
        // keeps every healthy never-expiring current token.
        let mut wanted: Vec<NewPage> = existing
            .iter()
            .flat_map(|u| u.pages.iter())
            .filter_map(|m| {
                let page = self.pages.get(&m.page_id)?;
                Some(NewPage {
                    id: page.id.clone(),
                    name: page.name.clone(),
                    tasks: m.tasks.clone(),
                    category: Some(page.category.clone()),
                })
            })
            .collect();
        for (id, name) in pages {
            if !wanted.iter().any(|w| w.id == *id) {
                wanted.push(NewPage {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    tasks: DEFAULT_TASKS.iter().map(|t| (*t).to_owned()).collect(),
                    category: None,
                });
            }
        }
        if let Err(e) = self.put_user(user_token, wanted) {
            tracing::warn!("sandbox: cannot seed the demo Facebook user: {e}");
        }
    }

    /// Mints another token of user `user_id` with these permissions, as a
    /// login or an exchange does (`expires_at` Unix seconds, 0 = never).
    pub(crate) fn mint_user_token(
        &mut self,
        user_id: &str,
        expires_at: u64,
        scopes: Vec<String>,
    ) -> Option<String> {
        self.users.get(user_id)?;
        let token = mint_token_text();
        let record = TokenRecord {
            id: record_id(),
            owner: Owner::User(user_id.to_owned()),
            valid: true,
            expires_at,
            data_access_expires_at: now() + DATA_ACCESS_SECS,
            user_id: Some(user_id.to_owned()),
            scopes: Some(scopes),
        };
        self.save_token(&token, &record);
        self.tokens.insert(token.clone(), record);
        Some(token)
    }

    /// The permissions a user token carries: those it was granted, or for
    /// the token a test gave, all its user grants.
    pub(crate) fn scopes_of(&self, record: &TokenRecord) -> Vec<String> {
        if let Some(scopes) = &record.scopes {
            return scopes.clone();
        }
        match &record.owner {
            Owner::User(id) => self
                .users
                .get(id)
                .map(|u| u.grants.clone())
                .unwrap_or_default(),
            Owner::Page(_) => Vec::new(),
        }
    }

    /// Revokes (or restores) a token and/or changes its expiry; `false`
    /// when the token is unknown.
    pub(crate) fn update_token(
        &mut self,
        token: &str,
        valid: Option<bool>,
        expires_at: Option<u64>,
    ) -> bool {
        let Some(record) = self.tokens.get_mut(token) else {
            return false;
        };
        if let Some(valid) = valid {
            record.valid = valid;
        }
        if let Some(expires_at) = expires_at {
            record.expires_at = expires_at;
        }
        let record = record.clone();
        self.save_token(token, &record);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_page(id: &str, name: &str) -> NewPage {
        NewPage {
            id: id.into(),
            name: name.into(),
            tasks: vec!["MANAGE".into()],
            category: None,
        }
    }

    #[test]
    fn minted_tokens_look_like_facebook_tokens_and_differ() {
        let a = mint_token_text();
        let b = mint_token_text();
        assert!(a.starts_with("EAA"));
        assert_eq!(a.len(), 103);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_revoked_current_token_is_replaced_and_the_lifetime_follows_the_user_token() {
        let mut store = GraphStore::in_memory();
        let pages = store.put_user("user", vec![new_page("1", "One")]).unwrap();
        let first = pages[0].1.clone();
        let user_id = store.user_of_token("user").unwrap().id.clone();
        assert_eq!(
            store.current_token("1", Some(&user_id), 0),
            Some(first.clone())
        );

        assert!(store.update_token(&first, Some(false), None));
        let second = store.current_token("1", Some(&user_id), 0).unwrap();
        assert_ne!(second, first);
        assert_eq!(store.token(&second).unwrap().health(now()), Health::Valid);
        assert_eq!(store.token(&second).unwrap().expires_at, 0);
        assert_eq!(store.token(&first).unwrap().health(now()), Health::Revoked);

        // A hand-minted token changes nothing /me/accounts hands out.
        let other = store.mint_other_page_token("1", 0, None).unwrap();
        assert_eq!(store.current_token("1", None, 0), Some(second.clone()));
        assert_eq!(store.token(&other).unwrap().health(now()), Health::Valid);
        // Read with a user token that expires at 500, the page's token
        // expires then too; read again with one that never does, it never does.
        let short = store.current_token("1", Some(&user_id), 500).unwrap();
        assert_eq!(store.token(&short).unwrap().expires_at, 500);
        assert_eq!(store.current_token("1", None, 500), Some(short.clone()));
        let long = store.current_token("1", Some(&user_id), 0).unwrap();
        assert_ne!(long, short);
        assert_eq!(store.token(&long).unwrap().expires_at, 0);
        assert!(!store.update_token("nope", Some(false), None));
    }

    #[test]
    fn putting_a_user_again_keeps_healthy_tokens_and_replaces_the_page_list() {
        let mut store = GraphStore::in_memory();
        let first = store
            .put_user("user", vec![new_page("1", "One"), new_page("2", "Two")])
            .unwrap();
        let again = store.put_user("user", vec![new_page("2", "Deux")]).unwrap();
        assert_eq!(again, vec![first[1].clone()]);
        let user = store.user_of_token("user").unwrap();
        assert_eq!(user.pages.len(), 1);
        assert_eq!(store.page("2").unwrap().name, "Deux");
        assert!(store.put_user(&first[0].1, vec![]).is_err());
    }

    #[test]
    fn ensure_user_adds_only_what_is_missing() {
        let mut store = GraphStore::in_memory();
        store.ensure_user("demo", &[("1", "One"), ("2", "Two")]);
        let before = store.current_token("1", None, 0).unwrap();
        store.ensure_user("demo", &[("1", "One"), ("2", "Two"), ("3", "Three")]);
        assert_eq!(store.current_token("1", None, 0).unwrap(), before);
        let ids: Vec<_> = store
            .user_of_token("demo")
            .unwrap()
            .pages
            .iter()
            .map(|p| p.page_id.clone())
            .collect();
        assert_eq!(ids, ["1", "2", "3"]);
    }

    #[test]
    fn persisted_records_hold_no_token_in_clear_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let key = Sealer::random_key();
        let token;
        {
            let db = sled::open(dir.path()).unwrap();
            let mut store = GraphStore::open(&db, Sealer::new(key.clone()).unwrap()).unwrap();
            token = store
                .put_user("the-user-token", vec![new_page("7", "Seven")])
                .unwrap()[0]
                .1
                .clone();
            store.update_token(&token, None, Some(42));
            for tree in ["facebook_users", "facebook_pages", "facebook_tokens"] {
                for entry in db.open_tree(tree).unwrap().iter() {
                    let (k, v) = entry.unwrap();
                    let text =
                        String::from_utf8_lossy(&v).to_string() + &String::from_utf8_lossy(&k);
                    assert!(!text.contains(&token), "{tree} holds a page token");
                    assert!(
                        !text.contains("the-user-token"),
                        "{tree} holds a user token"
                    );
                }
            }
            store.close();
            db.flush().unwrap();
        }
        let db = sled::open(dir.path()).unwrap();
        let store = GraphStore::open(&db, Sealer::new(key).unwrap()).unwrap();
        assert_eq!(store.token(&token).unwrap().expires_at, 42);
        assert_eq!(store.page("7").unwrap().current_token, token);
        assert_eq!(
            store.user_of_token("the-user-token").unwrap().pages.len(),
            1
        );
    }
}
