//! The credentials a client needs to talk to a TLS cluster, read from a Secret with the
//! usual keys (`tls.crt`, `tls.key`, `ca.crt`). Shared by the operator and the plugin.
//! Nothing here prints key material: `Debug` leaves the key out and errors name keys, not
//! values.

use k8s_openapi::api::core::v1::Secret;

/// The certificate key of a TLS Secret.
pub const CERT_KEY: &str = "tls.crt";
/// The private key's key of a TLS Secret.
pub const PRIVATE_KEY_KEY: &str = "tls.key";
/// The CA's key of a TLS Secret.
pub const CA_KEY: &str = "ca.crt";

/// A client certificate, its key and the CA that signed the members' certificates, PEM
/// encoded, and the name members are verified by.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The CA certificate(s) members are verified against.
    pub ca_pem: String,
    /// The client certificate.
    pub cert_pem: String,
    /// Its private key.
    pub key_pem: String,
    /// The name every member's server certificate carries ([`crate::names::tls_server_name`]).
    pub server_name: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("server_name", &self.server_name).finish_non_exhaustive()
    }
}

/// A Secret that cannot serve as client credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// A key is missing or empty.
    #[error("Secret {secret} has no {key}: a TLS Secret needs tls.crt, tls.key and ca.crt")]
    MissingKey {
        /// The Secret.
        secret: String,
        /// The key.
        key: &'static str,
    },
    /// A key is not PEM text.
    #[error("Secret {secret}'s {key} is not PEM text")]
    NotText {
        /// The Secret.
        secret: String,
        /// The key.
        key: &'static str,
    },
}

/// The value of `key` in `secret`, as text.
pub fn secret_text(secret: &Secret, key: &'static str) -> Result<String, CredentialsError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.clone())
        .or_else(|| secret.string_data.as_ref().and_then(|d| d.get(key)).map(|s| s.clone().into_bytes()))
        .filter(|b| !b.is_empty())
        .ok_or_else(|| CredentialsError::MissingKey { secret: name.clone(), key })?;
    String::from_utf8(bytes).map_err(|_| CredentialsError::NotText { secret: name, key })
}

impl ClientCredentials {
    /// The credentials in a TLS `secret`, verifying members by `server_name`.
    pub fn from_secret(secret: &Secret, server_name: String) -> Result<ClientCredentials, CredentialsError> {
        Ok(ClientCredentials {
            ca_pem: secret_text(secret, CA_KEY)?,
            cert_pem: secret_text(secret, CERT_KEY)?,
            key_pem: secret_text(secret, PRIVATE_KEY_KEY)?,
            server_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;

    use super::*;

    fn secret(keys: &[(&str, &str)]) -> Secret {
        let mut secret = Secret::default();
        secret.metadata.name = Some("demo-client-tls".into());
        secret.data = Some(
            keys.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect::<BTreeMap<_, _>>(),
        );
        secret
    }

    #[test]
    fn credentials_come_from_the_three_keys_and_never_print_the_key() {
        let full =
            secret(&[("ca.crt", "CA"), ("tls.crt", "CERT"), ("tls.key", "-----BEGIN PRIVATE KEY-----")]);
        let credentials =
            ClientCredentials::from_secret(&full, "demo-client.db.svc".into()).expect("complete");
        assert_eq!((credentials.ca_pem.as_str(), credentials.cert_pem.as_str()), ("CA", "CERT"));
        assert!(!format!("{credentials:?}").contains("PRIVATE KEY"));
        let partial = secret(&[("ca.crt", "CA"), ("tls.crt", "CERT")]);
        let err = ClientCredentials::from_secret(&partial, String::new()).expect_err("no key");
        assert_eq!(err, CredentialsError::MissingKey { secret: "demo-client-tls".into(), key: "tls.key" });
        assert!(err.to_string().contains("tls.crt, tls.key and ca.crt"));
    }
}
