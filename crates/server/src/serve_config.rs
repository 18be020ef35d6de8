//! `serve --config FILE`: the server's settings in a TOML file
//! (`packaging/server.toml` documents every key, in Vietnamese and English),
//! each key the `serve` flag of the same name. A flag given on the command
//! line overrides the file; a key the server does not know is an error, so a
//! misspelt setting is never silently ignored. Secrets are not settings:
//! passwords and the metrics token come from the environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What a config file may hold; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeFile {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_ca_cert: Option<PathBuf>,
    pub listen: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub behind_tls_proxy: Option<bool>,
    pub blob_store: Option<String>,
    pub max_upload_bytes: Option<usize>,
    pub offline_lease_hours: Option<u32>,
    pub pdf_checker: Option<PathBuf>,
    pub pdf_check_timeout_secs: Option<u64>,
    pub isolated_network: Option<bool>,
}

impl ServeFile {
    /// Reads `path`; the error names the file and, for TOML, the line.
    pub fn load(path: &Path) -> Result<ServeFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        ServeFile::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<ServeFile, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The file under `flags` (the command line's settings, which win).
    pub fn under(self, flags: ServeFile) -> ServeFile {
        ServeFile {
            data_dir: flags.data_dir.or(self.data_dir),
            database_url: flags.database_url.or(self.database_url),
            database_ca_cert: flags.database_ca_cert.or(self.database_ca_cert),
            listen: flags.listen.or(self.listen),
            tls_cert: flags.tls_cert.or(self.tls_cert),
            tls_key: flags.tls_key.or(self.tls_key),
            behind_tls_proxy: flags.behind_tls_proxy.or(self.behind_tls_proxy),
            blob_store: flags.blob_store.or(self.blob_store),
            max_upload_bytes: flags.max_upload_bytes.or(self.max_upload_bytes),
            offline_lease_hours: flags.offline_lease_hours.or(self.offline_lease_hours),
            pdf_checker: flags.pdf_checker.or(self.pdf_checker),
            pdf_check_timeout_secs: flags.pdf_check_timeout_secs.or(self.pdf_check_timeout_secs),
            isolated_network: flags.isolated_network.or(self.isolated_network),
        }
    }

    /// Checks what the flags' own parser would: required settings, pairs,
    /// exclusions and ranges.
    pub fn validate(&self) -> Result<(), String> {
        if self.data_dir.is_none() {
            return Err("no data folder: give --data-dir or data_dir in the config file".into());
        }
        if self.listen.is_none() {
            return Err("no listen address: give --listen or listen in the config file".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(
                "--tls-cert and --tls-key (tls_cert, tls_key) go together: give both or neither"
                    .into(),
            );
        }
        if self.behind_tls_proxy == Some(true) && self.tls_cert.is_some() {
            return Err(
                "behind_tls_proxy means a proxy terminates TLS: it cannot go with tls_cert/tls_key"
                    .into(),
            );
        }
        if self.offline_lease_hours == Some(0) {
            return Err(
                "offline_lease_hours must be at least 1 (leave it out for no lease)".into(),
            );
        }
        if let Some(s) = self.pdf_check_timeout_secs {
            if !(1..=3600).contains(&s) {
                return Err("pdf_check_timeout_secs must be between 1 and 3600".into());
            }
        }
        if self.max_upload_bytes == Some(0) {
            return Err("max_upload_bytes must be more than 0".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_sample_parses_and_names_every_setting() {
        let sample = ServeFile::parse(include_str!("../../../packaging/server.toml"))
            .expect("packaging/server.toml parses");
        assert_eq!(
            sample.data_dir.as_deref(),
            Some(Path::new("/var/lib/ecabinet"))
        );
        assert_eq!(sample.listen.as_deref(), Some("0.0.0.0:8443"));
        assert!(sample.validate().is_ok());
        // Every key the file format knows is at least mentioned in the sample.
        let text = include_str!("../../../packaging/server.toml");
        for key in [
            "data_dir",
            "database_url",
            "database_ca_cert",
            "listen",
            "tls_cert",
            "tls_key",
            "behind_tls_proxy",
            "blob_store",
            "max_upload_bytes",
            "offline_lease_hours",
            "pdf_checker",
            "pdf_check_timeout_secs",
            "isolated_network",
        ] {
            assert!(
                text.contains(&format!("{key} =")),
                "{key} is not documented"
            );
        }
    }

    #[test]
    fn a_misspelt_key_is_an_error_and_flags_win() {
        let e = ServeFile::parse("data_dir = \"/d\"\nlisen = \"0.0.0.0:1\"\n").expect_err("typo");
        assert!(e.contains("lisen"), "{e}");
        let file = ServeFile::parse(
            "data_dir = \"/d\"\nlisten = \"127.0.0.1:1\"\nmax_upload_bytes = 10\n",
        )
        .expect("parses");
        let merged = file.under(ServeFile {
            listen: Some("127.0.0.1:2".into()),
            ..ServeFile::default()
        });
        assert_eq!(merged.listen.as_deref(), Some("127.0.0.1:2"));
        assert_eq!(merged.data_dir.as_deref(), Some(Path::new("/d")));
        assert_eq!(merged.max_upload_bytes, Some(10));
        let half = ServeFile {
            tls_cert: Some("/c".into()),
            ..merged
        };
        assert!(half
            .validate()
            .expect_err("one of a pair")
            .contains("together"));
        assert!(ServeFile::default().validate().is_err());
    }
}
