//! Encryption at rest with age: archives become `.tar.gz.age` that the stock
//! `age -d -i KEY | tar xz` opens. Only public keys (age X25519 or SSH) are
//! needed to make a backup; the identity (private key) is needed only to
//! read one back, so it need not live on the backup host.
//!
//! Also the digest of the bytes as stored, on the way out and on the way
//! in: the `.sha256` sidecar of an encrypted archive is the ciphertext's,
//! checkable by `sha256sum -c` without any key.

use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    #[error(
        "recipient {0:?} is neither an age public key (age1…) nor an SSH public key (ssh-ed25519, ssh-rsa)"
    )]
    Recipient(String),
    #[error("cannot read identity file {path}: {detail}")]
    Identity { path: String, detail: String },
    #[error("identity file {0} holds no age or unencrypted SSH private key")]
    NoIdentity(String),
    #[error("none of the identities in {0} can decrypt it")]
    WrongIdentity(String),
    #[error("not an age file: {0}")]
    NotAge(String),
}

/// Public keys an archive is encrypted to (any one of them opens it).
pub struct Recipients(Vec<Box<dyn age::Recipient + Send + Sync>>);

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recipients({})", self.0.len())
    }
}

impl Recipients {
    /// Reads `age1…` and `ssh-… AAAA…` public keys, as `age -r` takes them.
    pub fn parse(keys: &[String]) -> Result<Recipients, CryptError> {
        let mut parsed: Vec<Box<dyn age::Recipient + Send + Sync>> = Vec::new();
        for key in keys {
            let key = key.trim();
            if let Ok(recipient) = age::x25519::Recipient::from_str(key) {
                parsed.push(Box::new(recipient));
            } else if let Ok(recipient) = age::ssh::Recipient::from_str(key) {
                parsed.push(Box::new(recipient));
            } else {
                // A public key is not a secret, but cut it short all the same.
                let shown: String = key.chars().take(24).collect();
                return Err(CryptError::Recipient(shown));
            }
        }
        Ok(Recipients(parsed))
    }

    /// An age writer over `out`; its `finish` writes the last chunk and gives `out` back.
    pub fn encrypt<W: Write>(&self, out: W) -> io::Result<age::stream::StreamWriter<W>> {
        let encryptor = age::Encryptor::with_recipients(
            self.0.iter().map(|r| r.as_ref() as &dyn age::Recipient),
        )
        .map_err(|err| io::Error::other(err.to_string()))?;
        encryptor.wrap_output(out)
    }
}

/// Private keys to open encrypted archives with (`--identity FILE`).
pub struct Identities {
    keys: Vec<Box<dyn age::Identity + Send + Sync>>,
}

impl Identities {
    /// An age identity file (`age-keygen` output) or an unencrypted SSH private key.
    pub fn load(path: &Path) -> Result<Identities, CryptError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|err| CryptError::Identity {
            path: shown.clone(),
            detail: err.to_string(),
        })?;
        let mut keys: Vec<Box<dyn age::Identity + Send + Sync>> = Vec::new();
        if let Ok(file) = age::IdentityFile::from_buffer(&bytes[..])
            && let Ok(found) = file.into_identities()
        {
            keys.extend(found);
        }
        if keys.is_empty()
            && let Ok(identity) = age::ssh::Identity::from_buffer(&bytes[..], Some(shown.clone()))
            && matches!(identity, age::ssh::Identity::Unencrypted(_))
        {
            keys.push(Box::new(identity));
        }
        if keys.is_empty() {
            return Err(CryptError::NoIdentity(shown));
        }
        Ok(Identities { keys })
    }

    /// A reader of the plaintext of the age stream `input` (named `shown` in errors).
    pub fn decrypt<R: Read + Send + 'static>(
        &self,
        input: R,
        shown: &str,
    ) -> Result<Box<dyn Read + Send>, CryptError> {
        let decryptor = age::Decryptor::new(BufReader::with_capacity(256 << 10, input))
            .map_err(|err| CryptError::NotAge(format!("{shown}: {err}")))?;
        let reader = decryptor
            .decrypt(self.keys.iter().map(|k| k.as_ref() as &dyn age::Identity))
            .map_err(|err| match err {
                age::DecryptError::NoMatchingKeys => CryptError::WrongIdentity(shown.to_owned()),
                other => CryptError::NotAge(format!("{shown}: {other}")),
            })?;
        Ok(Box::new(reader))
    }
}

/// SHA-256 and length of the bytes that went through, shared with whoever
/// reads them after the stream ends.
#[derive(Clone, Default)]
pub struct Digest256(Arc<Mutex<(Sha256, u64)>>);

impl Digest256 {
    fn update(&self, bytes: &[u8]) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.0.update(bytes);
        state.1 += bytes.len() as u64;
    }

    /// The hex digest and byte count so far.
    pub fn result(&self) -> (String, u64) {
        let state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (super::pgzip::hex(&state.0.clone().finalize()), state.1)
    }
}

/// A writer that hashes what it passes on.
pub struct HashingWriter<W> {
    pub inner: W,
    pub digest: Digest256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what it passes on.
pub struct HashingReader<R> {
    pub inner: R,
    pub digest: Digest256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn what_is_encrypted_to_a_key_opens_with_its_identity_only() {
        let identity = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let recipients = Recipients::parse(&[identity.to_public().to_string()]).unwrap();
        let mut writer = recipients.encrypt(Vec::new()).unwrap();
        writer.write_all(b"secret rows").unwrap();
        let sealed = writer.finish().unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));

        let dir = std::env::temp_dir().join(format!("maint-age-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key.txt");
        std::fs::write(&key, identity.to_string().expose_secret_text()).unwrap();
        let mut plain = Vec::new();
        Identities::load(&key)
            .unwrap()
            .decrypt(Cursor::new(sealed.clone()), "a")
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"secret rows");

        std::fs::write(&key, other.to_string().expose_secret_text()).unwrap();
        let err = Identities::load(&key)
            .unwrap()
            .decrypt(Cursor::new(sealed.clone()), "a")
            .err()
            .unwrap();
        assert!(matches!(err, CryptError::WrongIdentity(_)), "{err}");

        // A flipped byte in the ciphertext is found.
        let mut tampered = sealed;
        let at = tampered.len() - 5;
        tampered[at] ^= 1;
        std::fs::write(&key, identity.to_string().expose_secret_text()).unwrap();
        let mut out = Vec::new();
        let read = Identities::load(&key)
            .unwrap()
            .decrypt(Cursor::new(tampered), "a")
            .unwrap()
            .read_to_end(&mut out);
        assert!(read.is_err());
        std::fs::write(&key, "not a key\n").unwrap();
        assert!(Identities::load(&key).is_err());
        std::fs::remove_dir_all(dir).unwrap();
        assert!(Recipients::parse(&["age1nope".to_owned()]).is_err());
    }

    trait Expose {
        fn expose_secret_text(&self) -> String;
    }

    impl Expose for age::secrecy::SecretString {
        fn expose_secret_text(&self) -> String {
            use age::secrecy::ExposeSecret;
            format!("{}\n", self.expose_secret())
        }
    }
}
