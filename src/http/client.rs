//! Who is on the other end: the client's address, used to throttle sign-ins.

use actix_web::HttpRequest;

/// The client's address: the peer, or, behind a trusted reverse proxy, the last X-Forwarded-For
/// entry (the one the proxy itself appended; earlier entries are whatever the client claimed).
pub fn client_address(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .last();
        if let Some(addr) = forwarded {
            return addr.chars().take(64).collect();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
