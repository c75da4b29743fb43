//! Who is running socialform, for lock holders and history entries.

/// `$USER@hostname`, with `unknown` for whatever cannot be found.
pub fn operator() -> String {
    // The environment first (what the user sees in their prompt), then the
    // account database (a CI job or `sudo` may leave USER unset).
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| whoami::username().ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_string());
    let host = gethostname::gethostname().to_string_lossy().into_owned();
    let host = if host.is_empty() {
        "unknown".to_string()
    } else {
        host
    };
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_a_user_and_a_host() {
        let who = super::operator();
        let (user, host) = who.split_once('@').expect("user@host");
        assert!(!user.is_empty() && !host.is_empty(), "{who}");
    }
}
