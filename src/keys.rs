//! The key ring: which signing keys verify which path. Keys come from `--secret` (route `/`),
//! from `hookpit.toml` routes, and from the API (stored, so they survive a restart).

use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::verify::Key;

/// Where a key came from; API keys can be deleted, configured ones cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyOrigin {
    /// `--secret` or `hookpit.toml`.
    Config,
    /// Added through `POST /api/keys`.
    Api,
}

/// One key with the path prefix it applies to.
#[derive(Clone)]
struct Entry {
    route: String,
    key: Key,
    origin: KeyOrigin,
    /// Store id for API keys.
    id: Option<i64>,
}

/// A key as the API lists it: never the secret itself.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// Store id for API keys, `None` for configured ones.
    pub id: Option<i64>,
    /// Path prefix (`/` for every path without a route of its own).
    pub route: String,
    /// The key's label.
    pub label: String,
    /// `whsec`, `whpk`, `whsk` or `plain`.
    pub kind: &'static str,
    /// The masked secret, e.g. `whsec_…LaSw`.
    pub masked: String,
    /// Config or API.
    pub origin: KeyOrigin,
    /// The provider the key is bound to (`shopify:…`), if any.
    pub provider: Option<&'static str>,
}

/// Shared handle to the key ring (an `Arc<RwLock>`; the lock is never held across `.await`).
#[derive(Clone, Default)]
pub struct Keys {
    entries: Arc<RwLock<Vec<Entry>>>,
    /// Route prefixes that pin a provider (`provider = "shopify"` in `hookpit.toml`).
    pins: Arc<RwLock<Vec<(String, &'static str)>>>,
}

/// Whether `path` lies under the route prefix `route` (on a segment boundary).
pub fn route_matches(route: &str, path: &str) -> bool {
    let route = route.trim_end_matches('/');
    route.is_empty()
        || path == route
        || (path.starts_with(route) && path.as_bytes().get(route.len()) == Some(&b'/'))
}

/// The item whose route prefix `path` lies under most specifically: the longest prefix, a
/// trailing `/` not counted; among equally long prefixes the first listed wins. The one lookup
/// behind a path's keys, its route's chaos settings and its forward target.
pub fn route_for<'a, T>(
    items: impl IntoIterator<Item = &'a T>,
    route: impl Fn(&T) -> &str,
    path: &str,
) -> Option<&'a T> {
    let mut best: Option<(&'a T, usize)> = None;
    for item in items {
        let prefix = route(item);
        let len = prefix.trim_end_matches('/').len();
        if route_matches(prefix, path) && best.is_none_or(|(_, l)| len > l) {
            best = Some((item, len));
        }
    }
    best.map(|(item, _)| item)
}

impl Keys {
    /// Adds a configured key for a route prefix.
    pub fn add_config(&self, route: &str, key: Key) {
        self.write().push(Entry {
            route: route.to_string(),
            key,
            origin: KeyOrigin::Config,
            id: None,
        });
    }

    /// Pins the provider of every webhook under `route` (detection is skipped there).
    pub fn pin(&self, route: &str, provider: &'static str) {
        self.pins
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push((route.to_string(), provider));
    }

    /// The provider the most specific route pin under which `path` lies names, if any.
    pub fn pinned(&self, path: &str) -> Option<&'static str> {
        let pins = self.pins.read().unwrap_or_else(|p| p.into_inner());
        route_for(pins.iter(), |(route, _)| route, path).map(|(_, provider)| *provider)
    }

    /// Adds a key stored through the API.
    pub fn add_api(&self, id: i64, route: &str, key: Key) {
        self.write().push(Entry {
            route: route.to_string(),
            key,
            origin: KeyOrigin::Api,
            id: Some(id),
        });
    }

    /// Forgets an API key; `false` when no API key has that id.
    pub fn remove_api(&self, id: i64) -> bool {
        let mut entries = self.write();
        let before = entries.len();
        entries.retain(|e| e.id != Some(id));
        entries.len() != before
    }

    /// The keys that verify `path`: those of the longest matching route prefix first, then the
    /// global `/` keys (`--secret`), which every path is tried with (README, "Routes").
    pub fn for_path(&self, path: &str) -> Vec<Key> {
        let entries = self.read();
        let Some(best) = route_for(entries.iter(), |e| &e.route, path) else {
            return Vec::new();
        };
        let prefix = best.route.trim_end_matches('/');
        let of_route = |route: &str| -> Vec<Key> {
            entries
                .iter()
                .filter(|e| e.route.trim_end_matches('/') == route)
                .map(|e| e.key.clone())
                .collect()
        };
        let mut keys = of_route(prefix);
        if !prefix.is_empty() {
            keys.extend(of_route(""));
        }
        keys
    }

    /// Whether the route prefix `route` already has a key labelled `label` (labels name keys
    /// in verdicts, so two alike on one route would say nothing).
    pub fn label_taken(&self, route: &str, label: &str) -> bool {
        let route = route.trim_end_matches('/');
        self.read()
            .iter()
            .any(|e| e.route.trim_end_matches('/') == route && e.key.label() == label)
    }

    /// Every key, masked, for the API.
    pub fn list(&self) -> Vec<KeyInfo> {
        self.read()
            .iter()
            .map(|e| KeyInfo {
                id: e.id,
                route: e.route.clone(),
                label: e.key.label().to_string(),
                kind: e.key.kind(),
                masked: e.key.masked(),
                origin: e.origin,
                provider: e.key.provider(),
            })
            .collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry>> {
        // A panic while holding the lock cannot leave the Vec half-written, so poison is harmless.
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Entry>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(None, s).expect("valid key")
    }

    #[test]
    fn route_prefix_matches_on_segment_boundaries() {
        assert!(route_matches("/", "/anything"));
        assert!(route_matches("/cyberdesk", "/cyberdesk"));
        assert!(route_matches("/cyberdesk", "/cyberdesk/runs"));
        assert!(route_matches("/cyberdesk/", "/cyberdesk/runs"));
        assert!(!route_matches("/cyberdesk", "/cyberdesks"));
        assert!(!route_matches("/cyberdesk", "/"));
        let routes = ["/", "/a", "/a/b/", "/a/b", "/ab"];
        let best = |path| route_for(routes.iter(), |r| r, path).copied();
        assert_eq!(best("/a/b/c"), Some("/a/b/"), "longest, then first listed");
        assert_eq!(best("/a/x"), Some("/a"));
        assert_eq!(best("/abc"), Some("/"));
        assert_eq!(route_for(routes[1..].iter(), |r| r, "/z"), None);
    }

    #[test]
    fn longest_route_wins_and_global_keys_cover_the_rest() {
        let keys = Keys::default();
        keys.add_config("/", key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        keys.add_config("/cyberdesk", key("whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0"));
        keys.add_api(
            7,
            "/cyberdesk",
            key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
        );
        // The route's two keys, then the global one, which routes add to rather than replace.
        let tried: Vec<String> = keys
            .for_path("/cyberdesk/x")
            .iter()
            .map(Key::masked)
            .collect();
        assert_eq!(tried, ["whsec_…ZXN0", "whsec_…b7oD", "whsec_…LaSw"]);
        assert_eq!(keys.for_path("/github").len(), 1);
        assert!(keys.label_taken("/cyberdesk/", "whsec_…b7oD"));
        assert!(!keys.label_taken("/", "whsec_…b7oD"));
        assert!(keys.remove_api(7));
        assert!(!keys.remove_api(7));
        assert_eq!(keys.for_path("/cyberdesk").len(), 2);
        assert!(keys.list().iter().all(|k| k.masked.contains('…')));
    }

    #[test]
    fn the_most_specific_pin_names_the_provider() {
        let keys = Keys::default();
        assert_eq!(keys.pinned("/shop"), None);
        keys.pin("/shop", "shopify");
        keys.pin("/shop/slack", "slack");
        assert_eq!(keys.pinned("/shop/orders"), Some("shopify"));
        assert_eq!(keys.pinned("/shop/slack/x"), Some("slack"));
        assert_eq!(keys.pinned("/other"), None);
        keys.add_config("/", key("shopify:MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        assert_eq!(keys.list()[0].provider, Some("shopify"));
    }
}
