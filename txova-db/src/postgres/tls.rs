//! `sslmode` as libpq understands it, on rustls.
//!
//! tokio-postgres knows `disable`, `prefer` and `require`, and verifies nothing itself; the
//! verifying modes are taken out of the connection string (in `conn_string`) and become a
//! rustls configuration here.

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

use crate::error::{Error, Result};

/// The `sslmode` values of libpq that this crate honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// Its name in a connection string, unless it is the default.
    pub(crate) fn name_unless_default(self) -> Option<&'static str> {
        match self {
            SslMode::Disable => Some("disable"),
            SslMode::Prefer => None,
            SslMode::Require => Some("require"),
            SslMode::VerifyCa => Some("verify-ca"),
            SslMode::VerifyFull => Some("verify-full"),
        }
    }

    pub(crate) fn parse(value: &str) -> Result<Self> {
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

impl SslMode {
    /// What tokio-postgres is told: it knows no verifying modes, those are the connector's.
    pub(crate) fn driver_mode(self) -> DriverSslMode {
        match self {
            SslMode::Disable => DriverSslMode::Disable,
            SslMode::Prefer => DriverSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverSslMode::Require,
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls connector for `mode`, trusting `root` (a PEM file) or the Mozilla roots.
pub(crate) fn connector(mode: SslMode, root: Option<&str>) -> Result<MakeRustlsConnect> {
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
    fn each_mode_is_named_as_it_is_parsed() {
        for mode in [
            SslMode::Disable,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            let name = mode.name_unless_default().unwrap();
            assert_eq!(SslMode::parse(name).unwrap(), mode);
        }
        assert_eq!(SslMode::Prefer.name_unless_default(), None);
        assert_eq!(SslMode::parse("allow").unwrap(), SslMode::Prefer);
    }

    /// A root file of this test's own, removed when dropped.
    struct RootFile(std::path::PathBuf);

    impl RootFile {
        fn new(label: &str, text: &str) -> RootFile {
            let path = std::env::temp_dir().join(format!(
                "txova-tls-{label}-{}-{:?}.pem",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
            ));
            std::fs::write(&path, text).unwrap();
            RootFile(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for RootFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn refusal(mode: SslMode, root: Option<&str>) -> Error {
        match connector(mode, root) {
            Ok(_) => panic!("{mode:?} with {root:?} was accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn bad_root_files_are_config_errors_naming_the_file() {
        let not_base64 = RootFile::new(
            "b64",
            "-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n",
        );
        let not_a_certificate = RootFile::new(
            "der",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        let empty = RootFile::new("empty", "");
        let missing = format!("{}.missing", empty.path());
        for (root, what) in [
            (missing.as_str(), "cannot read sslrootcert"),
            (not_base64.path(), "invalid certificate in sslrootcert"),
            (
                not_a_certificate.path(),
                "unusable certificate in sslrootcert",
            ),
            (empty.path(), "invalid tls roots"),
        ] {
            for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
                let e = refusal(mode, Some(root));
                assert_eq!(e.kind(), crate::ErrorKind::Config, "{e}");
                assert!(e.to_string().starts_with(what), "{root}: {e}");
            }
        }
        // The modes that do not verify the server read no root file.
        assert!(connector(SslMode::Require, Some(missing.as_str())).is_ok());
        assert!(connector(SslMode::VerifyFull, None).is_ok());
    }
}
