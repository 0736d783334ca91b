//! TLS (rustls, ring provider) from the PEM files of the settings.

use super::ServeError;
use crate::settings::Settings;
use std::sync::Arc;

pub(super) fn tls_config(settings: &Settings) -> Result<rustls::ServerConfig, ServeError> {
    use std::io::BufReader;
    let (Some(cert), Some(key)) = (&settings.server.tls_cert, &settings.server.tls_key) else {
        return Err(ServeError::Tls(
            "set both server.tls_cert and server.tls_key".into(),
        ));
    };
    let open = |p: &std::path::Path| {
        std::fs::File::open(p)
            .map(BufReader::new)
            .map_err(|e| ServeError::Tls(format!("cannot read {}: {e}", p.display())))
    };
    let certs = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError::Tls(format!("bad certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "no certificate in {}",
            cert.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut open(key)?)
        .map_err(|e| ServeError::Tls(format!("bad key {}: {e}", key.display())))?
        .ok_or_else(|| ServeError::Tls(format!("no private key in {}", key.display())))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(e.to_string()))
}
