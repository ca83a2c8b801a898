//! HTTPS for `scrutineer serve` (rustls with the ring backend).
//!
//! Off loopback the service speaks TLS, so the pages are a secure context
//! (WebCrypto works) and no token crosses the venue network in clear. The
//! certificate is either the organisation's (`--tls-cert`/`--tls-key`,
//! PEM) or one the service makes for itself on first start: self-signed,
//! for the names and addresses it serves, kept beside the database
//! (`DB.tls.crt`, `DB.tls.key`, `DB.tls.names`) and reused on restart so
//! its fingerprint stays the one printed on the log-in slips. People
//! compare that SHA-256 fingerprint with the one their browser shows.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// A server certificate ready to serve, with what people check it by.
#[derive(Clone)]
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the certificate (DER), upper-case hex in groups of 4:
    /// what the log-in slips print and browsers show.
    pub fingerprint: String,
    /// base64 SHA-256 of the certificate's public key (SPKI): what
    /// Chromium's `--ignore-certificate-errors-spki-list` takes.
    pub spki_sha256: String,
    /// The certificate's PEM file.
    pub cert_file: PathBuf,
    /// True when the service made the certificate (self-signed).
    pub generated: bool,
    /// True when it was made on this start (not reused).
    pub new: bool,
}

/// The files of the generated certificate for database `db`.
pub fn generated_paths(db: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    (with(".tls.crt"), with(".tls.key"), with(".tls.names"))
}

/// The organisation's certificate chain and key (PEM files).
pub fn load(cert_file: &Path, key_file: &Path) -> Result<Tls, String> {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| format!("{}: cannot read: {e}", p.display()));
    let (cert_pem, key_pem) = (read(cert_file)?, read(key_file)?);
    let mut tls = from_pem(&cert_pem, &key_pem).map_err(|e| {
        format!(
            "{} / {}: {e}; expected a PEM certificate chain and its PEM private key",
            cert_file.display(),
            key_file.display()
        )
    })?;
    tls.cert_file = cert_file.to_path_buf();
    Ok(tls)
}

/// The certificate made for `names` beside `db`: the existing one if it
/// covers every name, else a new one (and the old files replaced).
pub fn generated(db: &Path, names: &[String]) -> Result<Tls, String> {
    let (cert_file, key_file, names_file) = generated_paths(db);
    let wanted: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
    if cert_file.exists() && key_file.exists() {
        let covered = std::fs::read_to_string(&names_file).unwrap_or_default();
        let covered: std::collections::BTreeSet<&str> = covered.lines().collect();
        if wanted.is_subset(&covered) {
            let mut tls = load(&cert_file, &key_file)?;
            tls.generated = true;
            return Ok(tls);
        }
    }
    let mut all: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
    all.sort();
    let key = rcgen::KeyPair::generate().map_err(|e| format!("cannot make a TLS key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(all.clone())
        .map_err(|e| format!("cannot make a certificate for {all:?}: {e}"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "scrutineer");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "scrutineer 计票服务");
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    write_private(&key_file, key.serialize_pem().as_bytes())?;
    std::fs::write(&cert_file, cert.pem())
        .map_err(|e| format!("{}: cannot write: {e}", cert_file.display()))?;
    let mut listed = all.join("\n");
    listed.push('\n');
    std::fs::write(&names_file, listed)
        .map_err(|e| format!("{}: cannot write: {e}", names_file.display()))?;
    let mut tls = load(&cert_file, &key_file)?;
    tls.generated = true;
    tls.new = true;
    Ok(tls)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// A server configuration from PEM bytes.
pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Tls, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    let Some(leaf) = chain.first() else {
        return Err("no CERTIFICATE section in the certificate file".into());
    };
    let fingerprint = groups(&Sha256::digest(leaf.as_ref()));
    let spki_sha256 = spki_hash(leaf).unwrap_or_default();
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the key does not fit the certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        fingerprint,
        spki_sha256,
        cert_file: PathBuf::new(),
        generated: false,
        new: false,
    })
}

/// Upper-case hex in groups of 4 digits separated by spaces.
pub fn groups(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// base64 SHA-256 of the certificate's SubjectPublicKeyInfo, found by
/// walking the DER (Certificate → TBSCertificate → 7th element).
fn spki_hash(cert: &CertificateDer<'_>) -> Option<String> {
    let (cert_body, _) = der_inner(cert.as_ref())?;
    let (tbs, _) = der_inner(cert_body)?;
    let mut rest = tbs;
    // [0] version (optional), serial, signature, issuer, validity, subject.
    if rest.first() == Some(&0xa0) {
        rest = der_skip(rest)?;
    }
    for _ in 0..5 {
        rest = der_skip(rest)?;
    }
    let len = rest.len() - der_skip(rest)?.len();
    let spki = &rest[..len];
    Some(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki)))
}

/// The header length and content length of the DER element at the start.
fn der_header(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((2, first as usize));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(2 + i)? as usize;
    }
    Some((2 + n, len))
}

/// The contents of the element at the start, and what follows it.
fn der_inner(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (h, len) = der_header(b)?;
    let end = h.checked_add(len)?;
    Some((b.get(h..end)?, b.get(end..)?))
}

/// What follows the element at the start.
fn der_skip(b: &[u8]) -> Option<&[u8]> {
    der_inner(b).map(|(_, rest)| rest)
}

/// The names and addresses a generated certificate is made for: the
/// listen address (unless it is every interface), the host of the public
/// URL, this machine's name and address on the LAN, and loopback.
pub fn names_for(listen: std::net::IpAddr, public_host: Option<&str>) -> Vec<String> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !listen.is_unspecified() {
        names.push(listen.to_string());
    }
    if let Some(h) = public_host {
        names.push(h.trim_start_matches('[').trim_end_matches(']').to_string());
    }
    if let Some(ip) = lan_address() {
        names.push(ip.to_string());
    }
    if let Some(h) = hostname() {
        names.push(h);
    }
    names.sort();
    names.dedup();
    names
}

/// This machine's address on the network its default route leads to (a
/// UDP socket "connected" to a documentation address sends nothing).
pub fn lan_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The machine's host name, if the system says it.
fn hostname() -> Option<String> {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())?;
    let h = h.trim().to_ascii_lowercase();
    let ok = !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok.then_some(h)
}

/// The host part of an `http(s)://HOST[:PORT]/…` URL.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_print_in_groups_of_four() {
        assert_eq!(groups(&[0xab, 0x01, 0x02, 0x03, 0xff]), "AB01 0203 FF");
    }

    #[test]
    fn the_spki_hash_is_that_of_the_key() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["scrutineer.test".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let want =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(key.public_key_der()));
        assert_eq!(spki_hash(cert.der()), Some(want));
    }

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://192.168.1.20:8443/x"),
            Some("192.168.1.20")
        );
        assert_eq!(url_host("https://hall.example"), Some("hall.example"));
        assert_eq!(url_host("https://[fe80::1]:8443"), Some("fe80::1"));
        assert_eq!(url_host("nonsense"), None);
    }

    #[test]
    fn a_generated_certificate_is_reused_and_remade_for_new_names() {
        let dir = std::env::temp_dir().join(format!("scrutineer-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("m.db");
        let names = vec!["127.0.0.1".to_string(), "hall.test".to_string()];
        let first = generated(&db, &names).unwrap();
        assert!(first.new && first.generated);
        assert_eq!(first.fingerprint.len(), 64 + 15);
        assert!(!first.spki_sha256.is_empty());
        let again = generated(&db, &names[..1]).unwrap();
        assert!(!again.new);
        assert_eq!(again.fingerprint, first.fingerprint);
        let other = generated(&db, &["10.0.0.9".to_string()]).unwrap();
        assert!(other.new);
        assert_ne!(other.fingerprint, first.fingerprint);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
