//! `--ui` / `HOOKPIT_UI`, one flag and one variable for every subcommand: `serve` binds it,
//! `replay` talks to it, and each accepts it as an address (`127.0.0.1:8701`) or as the URL the
//! banner prints (`http://127.0.0.1:8701/`).

use std::net::{Ipv4Addr, SocketAddr};

/// The UI's address from an address or an `http://` URL; `localhost` means 127.0.0.1.
pub fn parse_ui_addr(text: &str) -> Result<SocketAddr, String> {
    let bare = text.trim();
    let bare = bare.strip_prefix("http://").unwrap_or(bare);
    let bare = bare.strip_suffix('/').unwrap_or(bare);
    if let Some(port) = bare.strip_prefix("localhost:") {
        let port = port.parse().map_err(|_| not_an_address(text))?;
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    bare.parse().map_err(|_| not_an_address(text))
}

/// The base URL of a running hookpit's UI from an address or a URL; an address bound
/// everywhere (`0.0.0.0`) is reached on loopback.
pub fn ui_base_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.starts_with("https://") || text.starts_with("http://") && parse_ui_addr(text).is_err() {
        // A name (a proxy in front of the UI): used as given.
        return Ok(text.trim_end_matches('/').to_string());
    }
    let mut addr = parse_ui_addr(text)?;
    if addr.ip().is_unspecified() {
        addr.set_ip(Ipv4Addr::LOCALHOST.into());
    }
    Ok(format!("http://{addr}"))
}

fn not_an_address(text: &str) -> String {
    format!("{text:?} is not an address like 127.0.0.1:8701 or a URL like http://127.0.0.1:8701")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_or_a_url_names_the_same_ui() {
        for text in [
            "127.0.0.1:8701",
            "http://127.0.0.1:8701",
            "http://127.0.0.1:8701/",
            "localhost:8701",
        ] {
            assert_eq!(
                parse_ui_addr(text),
                Ok(SocketAddr::from(([127, 0, 0, 1], 8701))),
                "{text}"
            );
            assert_eq!(
                ui_base_url(text).as_deref(),
                Ok("http://127.0.0.1:8701"),
                "{text}"
            );
        }
        assert_eq!(
            ui_base_url("0.0.0.0:8701").as_deref(),
            Ok("http://127.0.0.1:8701")
        );
        assert_eq!(
            ui_base_url("https://inspect.example.com/").as_deref(),
            Ok("https://inspect.example.com")
        );
        assert!(parse_ui_addr("bogus").is_err_and(|e| e.contains("127.0.0.1:8701")));
        assert!(ui_base_url("bogus").is_err());
    }
}
