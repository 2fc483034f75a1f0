//! S3 credentials and settings, found where every AWS tool finds them:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`,
//! then the profile (`AWS_PROFILE`, else `default`) in
//! `~/.aws/credentials` and `~/.aws/config` (or the files
//! `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` name). A profile named
//! explicitly (the URL's `profile=` or `[backup.s3] profile`) comes first.
//!
//! Instance roles, SSO and `credential_process` are not read: a backup host
//! gets a key of its own, which is also what the self-hosted stores offer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusty_s3::Credentials;

use super::RemoteError;

/// The environment credentials are read from (the process's, or a test's).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub vars: BTreeMap<String, String>,
    pub home: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Environment {
        Environment {
            vars: std::env::vars()
                .filter(|(k, _)| k.starts_with("AWS_"))
                .collect(),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    /// A variable's value, None when unset or empty.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn file(&self, variable: &str, default: &str) -> Option<PathBuf> {
        self.var(variable)
            .map(PathBuf::from)
            .or_else(|| self.home.as_ref().map(|h| h.join(".aws").join(default)))
    }
}

/// One profile's settings, merged from the credentials and config files.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub name: String,
    /// Whether it was chosen (not the `default` fallback).
    pub explicit: bool,
    values: BTreeMap<String, String>,
}

impl Profile {
    /// Reads the profile `name`; a profile named but found in neither file is an error.
    pub fn load(env: &Environment, name: &str) -> Result<Profile, RemoteError> {
        let mut values = BTreeMap::new();
        let mut found = false;
        if let Some(path) = env.file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
            && let Some(section) = read_section(&path, name)?
        {
            found = true;
            values.extend(section);
        }
        let config_section = if name == "default" {
            "default".to_owned()
        } else {
            format!("profile {name}")
        };
        if let Some(path) = env.file("AWS_CONFIG_FILE", "config")
            && let Some(section) = read_section(&path, &config_section)?
        {
            found = true;
            for (key, value) in section {
                values.entry(key).or_insert(value);
            }
        }
        let explicit = name != "default";
        if explicit && !found {
            return Err(RemoteError::Credentials(format!(
                "AWS profile {name:?} is in neither ~/.aws/credentials nor ~/.aws/config"
            )));
        }
        Ok(Profile {
            name: name.to_owned(),
            explicit,
            values,
        })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).filter(|v| !v.is_empty()).cloned()
    }
}

/// The access key to sign with: a chosen profile's, else the environment's,
/// else the default profile's.
pub fn resolve(env: &Environment, profile: &Profile) -> Result<Credentials, RemoteError> {
    let make = |key: Option<String>, secret: Option<String>, token: Option<String>| {
        let (key, secret) = (key?, secret?);
        Some(match token {
            Some(token) => Credentials::new_with_token(key, secret, token),
            None => Credentials::new(key, secret),
        })
    };
    let from_profile = || {
        make(
            profile.get("aws_access_key_id"),
            profile.get("aws_secret_access_key"),
            profile.get("aws_session_token"),
        )
    };
    let from_env = || {
        make(
            env.var("AWS_ACCESS_KEY_ID"),
            env.var("AWS_SECRET_ACCESS_KEY"),
            env.var("AWS_SESSION_TOKEN"),
        )
    };
    let found = if profile.explicit {
        from_profile().or_else(from_env)
    } else {
        from_env().or_else(from_profile)
    };
    found.ok_or_else(|| {
        RemoteError::Credentials(format!(
            "no S3 credentials: neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor aws_access_key_id and aws_secret_access_key in profile {:?} of ~/.aws/credentials",
            profile.name
        ))
    })
}

/// The `[name]` section of an INI file as the AWS tools read it; None when
/// the file or the section is absent.
fn read_section(path: &Path, name: &str) -> Result<Option<BTreeMap<String, String>>, RemoteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(RemoteError::Credentials(format!(
                "cannot read {}: {err}",
                path.display()
            )));
        }
    };
    Ok(parse_section(&text, name))
}

fn parse_section(text: &str, name: &str) -> Option<BTreeMap<String, String>> {
    let mut current: Option<String> = None;
    let mut section: Option<BTreeMap<String, String>> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let header = header.trim().to_owned();
            if header == name && section.is_none() {
                section = Some(BTreeMap::new());
            }
            current = Some(header);
            continue;
        }
        if current.as_deref() != Some(name) {
            continue;
        }
        if let (Some(values), Some((key, value))) = (section.as_mut(), line.split_once('=')) {
            values.insert(key.trim().to_lowercase(), value.trim().to_owned());
        }
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], home: Option<&Path>) -> Environment {
        Environment {
            vars: vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            home: home.map(Path::to_path_buf),
        }
    }

    #[test]
    fn credentials_come_from_the_environment_then_the_default_profile() {
        let home = tempfile_dir();
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        std::fs::write(
            home.join(".aws/credentials"),
            "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n\n[ops]\naws_access_key_id=OPSKEY\naws_secret_access_key=opssecret\naws_session_token = tok\n",
        )
        .unwrap();
        std::fs::write(
            home.join(".aws/config"),
            "[profile ops]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:3900\n",
        )
        .unwrap();
        let with_env = env(
            &[
                ("AWS_ACCESS_KEY_ID", "ENVKEY"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ],
            Some(&home),
        );
        let default = Profile::load(&with_env, "default").unwrap();
        assert_eq!(resolve(&with_env, &default).unwrap().key(), "ENVKEY");
        let without_env = env(&[], Some(&home));
        assert_eq!(resolve(&without_env, &default).unwrap().key(), "FILEKEY");
        // A chosen profile wins over the environment, with its config.
        let ops = Profile::load(&with_env, "ops").unwrap();
        let credentials = resolve(&with_env, &ops).unwrap();
        assert_eq!(
            (credentials.key(), credentials.token()),
            ("OPSKEY", Some("tok"))
        );
        assert_eq!(ops.get("region").as_deref(), Some("eu-west-3"));
        assert_eq!(
            ops.get("endpoint_url").as_deref(),
            Some("http://127.0.0.1:3900")
        );
        // A profile that does not exist, and no credentials at all.
        assert!(Profile::load(&with_env, "nope").is_err());
        let nothing = env(&[], None);
        let err = resolve(&nothing, &Profile::load(&nothing, "default").unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no S3 credentials"), "{err}");
        std::fs::remove_dir_all(home).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "maint-aws-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
