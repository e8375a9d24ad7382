//! rustls client configuration from a profile's `tls:` block, and plain-language
//! classification of handshake and verification failures.

use crate::config::{TlsSettings, TlsVersion};
use crate::error::{Failure, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::Path;
use std::sync::Arc;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::config(format!(
            "cannot read redis.tls.{key} {}: {e}; check the path",
            path.display()
        ))
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Failure::config(format!(
                "redis.tls.{key} {} is not a PEM certificate file ({e}); give a PEM file",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Failure::config(format!(
            "redis.tls.{key} {} holds no PEM certificate; give a PEM file with -----BEGIN CERTIFICATE-----",
            path.display()
        )));
    }
    Ok(certs)
}

/// Build the rustls client config. File problems are config errors (exit 2).
pub fn client_config(tls: &TlsSettings) -> Result<ClientConfig> {
    let provider = provider();
    let versions: &[&'static rustls::SupportedProtocolVersion] = match tls.min_version {
        TlsVersion::V1_2 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::V1_3 => &[&rustls::version::TLS13],
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| Failure::config(format!("TLS setup failed: {e}")))?;
    let builder = if tls.skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(
                provider.signature_verification_algorithms,
            )))
    } else {
        let mut roots = RootCertStore::empty();
        match &tls.ca_file {
            Some(ca) => {
                for cert in read_certs(ca, "ca_file")? {
                    roots.add(cert).map_err(|e| {
                        Failure::config(format!(
                            "redis.tls.ca_file {} holds a certificate rustls rejects ({e})",
                            ca.display()
                        ))
                    })?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        builder.with_root_certificates(roots)
    };
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let chain = read_certs(cert, "cert_file")?;
            let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                Failure::config(format!(
                    "cannot read a private key from redis.tls.key_file {} ({e}); give a PEM key file",
                    key.display()
                ))
            })?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                Failure::config(format!(
                    "redis.tls.cert_file and key_file do not form a usable client identity ({e}); check they belong together"
                ))
            })
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// The name the server certificate must be valid for.
pub fn server_name(tls: &TlsSettings, host: &str) -> Result<ServerName<'static>> {
    let name = tls.server_name.as_deref().unwrap_or(host);
    ServerName::try_from(name.to_string()).map_err(|_| {
        Failure::config(format!(
            "`{name}` is not a valid TLS server name; set redis.tls.options.server_name"
        ))
    })
}

/// Explain a TLS failure in one sentence, or `None` when it is not TLS-specific.
pub fn explain(err: &(dyn std::error::Error + 'static), endpoint: &str) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(explain_rustls(r, endpoint));
        }
        // io::Error::source() skips the wrapped error itself: look inside.
        cur = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

fn explain_rustls(e: &rustls::Error, endpoint: &str) -> String {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => {
            let (what, fix) = match c {
                CertificateError::UnknownIssuer => (
                    "is signed by an issuer that is not trusted",
                    "set redis.tls.ca_file to the CA that signed it",
                ),
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => (
                    "is not valid for the name redeye checked",
                    "connect by the name in the certificate or set redis.tls.options.server_name",
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    ("has expired", "renew the server certificate")
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                    "is not valid yet",
                    "check the clocks of this machine and the server",
                ),
                _ => (
                    "was rejected",
                    "check the server certificate and redis.tls.ca_file",
                ),
            };
            format!(
                "TLS verification failed for {endpoint}: the server's certificate {what}; {fix}"
            )
        }
        E::AlertReceived(alert) => format!(
            "TLS handshake with {endpoint} failed: the server refused it ({alert:?}); if it requires a client certificate, set redis.tls.cert_file and key_file"
        ),
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => format!(
            "TLS handshake with {endpoint} failed: the server did not answer in TLS; is this a plain (non-TLS) port? use the TLS port or disable redis.tls"
        ),
        other => format!("TLS handshake with {endpoint} failed: {other}; check redis.tls"),
    }
}

/// `skip_verify: true`: accept any certificate, but still check handshake signatures.
#[derive(Debug)]
struct NoVerify(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
