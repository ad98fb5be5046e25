//! `sslmode` as libpq understands it, on rustls.
//!
//! tokio-postgres knows `disable`, `prefer` and `require`, and verifies nothing itself; the
//! verifying modes are taken out of the connection string here and become a rustls
//! configuration.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode as DriverSslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StatementMode;
use crate::error::{Error, Result};

/// The `sslmode` values of libpq that this crate honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self> {
        Ok(match value {
            "disable" => SslMode::Disable,
            // libpq's `allow` tries plain first; encrypting when the server offers it is the
            // safer reading of the same intent.
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::config(format!(
                    "invalid sslmode `{other}`: expected disable, prefer, require, verify-ca or verify-full"
                )));
            }
        })
    }
}

/// A connection string with its TLS settings taken out.
pub(crate) struct Parsed {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) tls: MakeRustlsConnect,
    /// `statement_mode`, when the URL names one.
    pub(crate) statement_mode: Option<StatementMode>,
}

/// Parses `url`, removing `sslmode`, `sslrootcert` (which tokio-postgres would reject or
/// ignore) and `statement_mode` (ours), and building the matching TLS connector.
pub(crate) fn parse(url: &str) -> Result<Parsed> {
    // tokio-postgres reads anything that is not a postgres URL as `key=value` pairs, and
    // reports another scheme's URL as a truncated one.
    if let Some((scheme, _)) = url.split_once("://")
        && !matches!(scheme, "postgres" | "postgresql")
    {
        return Err(Error::config(format!(
            "invalid database url: unsupported scheme `{scheme}`, expected postgres:// or postgresql://"
        )));
    }
    let (rest, mode, root, statement_mode) = split_tls_params(url)?;
    let mut config: tokio_postgres::Config = rest.parse().map_err(|e: tokio_postgres::Error| {
        Error::config(format!("invalid database url: {}", crate::error::chain(&e)))
    })?;
    config.ssl_mode(match mode {
        SslMode::Disable => DriverSslMode::Disable,
        SslMode::Prefer => DriverSslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverSslMode::Require,
    });
    let tls = connector(mode, root.as_deref())?;
    Ok(Parsed {
        config,
        tls,
        statement_mode,
    })
}

type TlsParams = (String, SslMode, Option<String>, Option<StatementMode>);

fn split_tls_params(url: &str) -> Result<TlsParams> {
    let mut mode = SslMode::Prefer;
    let mut root = None;
    let mut statement_mode = None;
    let mut take = |key: &str, value: &str| -> Result<bool> {
        match key {
            "sslmode" => mode = SslMode::parse(value)?,
            "sslrootcert" => root = Some(value.to_owned()),
            "statement_mode" => statement_mode = Some(value.parse()?),
            _ => return Ok(false),
        }
        Ok(true)
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), mode, root, statement_mode));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(k, v)? {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok((rest, mode, root, statement_mode))
    } else {
        let mut kept = Vec::new();
        for word in url.split_whitespace() {
            let consumed = match word.split_once('=') {
                Some((k, v)) => take(k.trim(), v.trim_matches('\''))?,
                None => false,
            };
            if !consumed {
                kept.push(word);
            }
        }
        Ok((kept.join(" "), mode, root, statement_mode))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn connector(mode: SslMode, root: Option<&str>) -> Result<MakeRustlsConnect> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::with_source(crate::ErrorKind::Config, "invalid tls setup", e))?;
    let config = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCertificateCheck(provider())))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(root)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|e| {
                    Error::with_source(crate::ErrorKind::Config, "invalid tls roots", e)
                })?;
            if mode == SslMode::VerifyCa {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            } else {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            }
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

fn roots(path: Option<&str>) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match path {
        None | Some("system") => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                Error::with_source(
                    crate::ErrorKind::Config,
                    format!("cannot read sslrootcert `{path}`"),
                    e,
                )
            })?;
            for cert in certs {
                let cert = cert.map_err(|e| {
                    Error::with_source(
                        crate::ErrorKind::Config,
                        format!("invalid certificate in sslrootcert `{path}`"),
                        e,
                    )
                })?;
                store.add(cert).map_err(|e| {
                    Error::with_source(
                        crate::ErrorKind::Config,
                        format!("unusable certificate in sslrootcert `{path}`"),
                        e,
                    )
                })?;
            }
        }
    }
    Ok(store)
}

/// `prefer` and `require`: encrypt, but trust any certificate, as libpq does without a root
/// file. Handshake signatures are still checked, so the session keys are sound.
#[derive(Debug)]
struct NoCertificateCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCertificateCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_params_are_taken_out() {
        let (rest, mode, root, statement_mode) = split_tls_params(
            "postgres://u@h/db?sslmode=verify-full&application_name=x&sslrootcert=/r.pem&statement_mode=unnamed",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@h/db?application_name=x");
        assert_eq!(mode, SslMode::VerifyFull);
        assert_eq!(root.as_deref(), Some("/r.pem"));
        assert_eq!(statement_mode, Some(StatementMode::Unnamed));
    }

    #[test]
    fn key_value_params_are_taken_out() {
        let (rest, mode, _, statement_mode) =
            split_tls_params("host=h user=u sslmode=require statement_mode=prepared").unwrap();
        assert_eq!(rest, "host=h user=u");
        assert_eq!(mode, SslMode::Require);
        assert_eq!(statement_mode, Some(StatementMode::Prepared));
    }

    #[test]
    fn unknown_sslmode_is_a_config_error() {
        let err = split_tls_params("postgres://h/db?sslmode=sometimes")
            .err()
            .unwrap();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        assert!(err.to_string().contains("sometimes"));
    }
}
