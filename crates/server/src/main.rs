//! The `ecabinet-server` command: serve, seed the demo committee, manage
//! users and devices.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};
use axum::serve::ListenerExt as _;
use clap::{Parser, Subcommand};
use ecabinet_protocol::enrol_code;
use ecabinet_protocol::{CreateUserRequest, WireRole};
use ecabinet_server::clock::Clock as _;
use ecabinet_server::key_rotation;
use ecabinet_server::routes::accounts as routes_accounts;
use ecabinet_server::serve_config::ServeFile;
use ecabinet_server::{app, auth, enrol_codes, open, seed, tls, Config};

#[derive(Parser)]
#[command(name = "ecabinet-server", about = "E-Cabinet sync server", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Store {
    /// Directory for the signing key, the SQLite database and local blobs.
    #[arg(long)]
    data_dir: PathBuf,
    /// `postgres://user@host:port/db` to keep metadata in PostgreSQL instead of SQLite;
    /// add `?sslmode=require` to connect over TLS (certificate and host name checked).
    #[arg(long)]
    database_url: Option<String>,
    /// PEM CA certificate(s) to trust for the database's TLS certificate,
    /// besides the system's roots (with `sslmode=require`).
    #[arg(long, value_name = "FILE")]
    database_ca_cert: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API; prints `listening on https://ADDR` (or `http://`
    /// without TLS) first. Plain HTTP is served only on a loopback address
    /// unless --behind-tls-proxy is given.
    Serve {
        /// A TOML file with these settings (keys named like the flags, with
        /// underscores; `packaging/server.toml` documents each). A flag given
        /// here overrides the file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Directory for the signing key, the SQLite database and local blobs.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// `postgres://user@host:port/db` to keep metadata in PostgreSQL instead of SQLite;
        /// add `?sslmode=require` to connect over TLS (certificate and host name checked).
        #[arg(long)]
        database_url: Option<String>,
        /// PEM CA certificate(s) to trust for the database's TLS certificate,
        /// besides the system's roots (with `sslmode=require`).
        #[arg(long, value_name = "FILE")]
        database_ca_cert: Option<PathBuf>,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long)]
        listen: Option<String>,
        /// PEM certificate chain (server certificate first) to serve HTTPS with.
        #[arg(long, value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of --tls-cert (PKCS#8, RSA or SEC1).
        #[arg(long, value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on a non-loopback address because a
        /// TLS-terminating proxy in front of this server is the only way in
        /// (its X-Forwarded-For then names the client).
        #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
        behind_tls_proxy: bool,
        /// `s3://BUCKET?endpoint=URL&region=R` to keep blobs in an S3-API store.
        #[arg(long)]
        blob_store: Option<String>,
        /// Largest accepted PDF upload in bytes (default 64 MiB).
        #[arg(long)]
        max_upload_bytes: Option<usize>,
        /// Offline lease: devices refuse to open their cache after this many
        /// hours without a successful sync (default: no lease).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        offline_lease_hours: Option<u32>,
        /// The program that checks each uploaded PDF in a process of its own
        /// (default: `ecabinet-pdfcheck` beside this server, or
        /// `$ECABINET_PDF_CHECKER`). The server does not start without it.
        #[arg(long, value_name = "PATH")]
        pdf_checker: Option<PathBuf>,
        /// Seconds one upload check may take before it is killed and the
        /// upload refused (default 60).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3600))]
        pdf_check_timeout_secs: Option<u64>,
        /// This server is on a network isolated from the internet, so it may
        /// hold classified documents (mật, tối mật, tuyệt mật); without it,
        /// marking a document classified is refused.
        #[arg(long)]
        isolated_network: bool,
    },
    /// Create the Vietnamese demo committee; prints accounts and passwords as JSON.
    SeedDemo {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        blob_store: Option<String>,
    },
    /// Print a one-time enrol code for a user: the first line (stdout) is the
    /// code to hand to the member out of band, followed by `fingerprint:
    /// FFFF-FFFF-FFFF-FFFF` (the server signing key's fingerprint, the code's
    /// last 16 symbols) and `expires: <RFC 3339 UTC>`. Older unexpired codes
    /// stay valid.
    EnrolCode {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        username: String,
        /// Minutes the code stays valid (1 to 1440).
        #[arg(long, default_value_t = enrol_codes::DEFAULT_VALID_MINUTES,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(enrol_codes::MAX_VALID_MINUTES)))]
        valid_minutes: u32,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// The vote audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Backs up a SQLite deployment while it runs: a consistent copy of the
    /// database, the blobs its documents use, and the signing key, into a new
    /// folder (keep it as private as the data directory). A PostgreSQL
    /// deployment uses pg_dump and its object store's tools (README).
    Backup {
        #[command(flatten)]
        store: Store,
        /// The new (or empty) folder to write the backup into.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// The access register of classified documents: who fetched which
    /// version and when, one JSON object a line, oldest first.
    AccessRegister {
        #[command(flatten)]
        store: Store,
        /// Only this document's entries.
        #[arg(long)]
        document_id: Option<String>,
    },
    /// The certificates of a user's signing token (USB token), registered
    /// to them: a ballot they sign with a token counts only with one of
    /// these. Prints the user's list as JSON, after --add's PEM file or
    /// --remove's SHA-256.
    SigningCertificates {
        #[command(flatten)]
        store: Store,
        /// The user's login name.
        #[arg(long)]
        user: String,
        /// A PEM file with the one certificate to register.
        #[arg(long, value_name = "FILE", conflicts_with = "remove")]
        add: Option<PathBuf>,
        /// The SHA-256 (hex) of a registered certificate to remove.
        #[arg(long, value_name = "SHA256")]
        remove: Option<String>,
    },
    /// The root certificates trusted for signatures embedded in documents
    /// (the deployment's government CA roots; none are built in): prints
    /// them as JSON, after replacing them with --set's PEM file, or none
    /// with --clear. Devices fetch the new list at their next sync.
    TrustedRoots {
        #[command(flatten)]
        store: Store,
        /// A PEM file with one CERTIFICATE block per trusted root.
        #[arg(long, value_name = "FILE", conflicts_with = "clear")]
        set: Option<PathBuf>,
        /// Trust no root: every embedded signature shows as untrusted.
        #[arg(long)]
        clear: bool,
    },
    /// Replaces the manifest-signing key, with the server stopped (refused
    /// while one runs on the data directory). The new key is announced to
    /// devices by a record signed with the old one, so enrolled devices
    /// follow it at their next sync; every published document is signed
    /// again and unused enrol codes are voided (they name the old key's
    /// fingerprint). Prints what it did as JSON, with both fingerprints.
    /// The old key is gone from the data directory but not from backups.
    RotateSigningKey {
        #[command(flatten)]
        store: Store,
    },
    /// Restores a backup into an empty data directory, then checks the
    /// database and the vote audit chain. Start `serve` on it afterwards.
    Restore {
        /// The data directory to restore into (must hold no database, key or blobs).
        #[arg(long)]
        data_dir: PathBuf,
        /// The backup folder written by `backup`.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Re-derive the whole hash chain; fail naming the first broken record.
    Verify {
        #[command(flatten)]
        store: Store,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user, optionally an admin and/or a member of a committee. The
    /// password comes from ECABINET_PASSWORD or else the first line of
    /// standard input, never from an argument (other users see arguments).
    Add {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        admin: bool,
        /// Committee id to join.
        #[arg(long, requires = "role")]
        committee: Option<String>,
        /// member, secretary or chair.
        #[arg(long, requires = "committee")]
        role: Option<String>,
    },
    /// Disable a user: no login, no token renewal, and every token of theirs
    /// stops working at once. Their devices keep their data.
    Disable {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        username: String,
    },
    /// Enable a disabled user again; they sign in with their password.
    Enable {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        username: String,
    },
    /// Set a new password (from ECABINET_PASSWORD or standard input, never an
    /// argument); every session of the user ends. Their annotations stay
    /// readable: the first of their devices that signs in again re-wraps the
    /// annotation key under the new password.
    ResetPassword {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Revoke a device: its next request is answered `device_revoked`.
    Revoke {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        device_id: String,
    },
}

/// The data folder's lock this process holds until it exits: shared for
/// every command (several may run, `serve` among them), exclusive for a
/// key rotation, so no command opens the server, and finishes or drops a
/// waiting key file, while a rotation is under way.
static DATA_DIR_LOCK: std::sync::OnceLock<key_rotation::DataDirLock> = std::sync::OnceLock::new();

fn hold_data_dir(store: &Store, exclusive: bool) -> anyhow::Result<()> {
    if DATA_DIR_LOCK.get().is_none() {
        let lock =
            key_rotation::lock_data_dir(&store.data_dir, exclusive).map_err(|e| anyhow!(e))?;
        let _ = DATA_DIR_LOCK.set(lock);
    }
    Ok(())
}

async fn state_of(
    store: &Store,
    blob_store: Option<&str>,
    mut config: Config,
) -> anyhow::Result<ecabinet_server::AppState> {
    hold_data_dir(store, false)?;
    config.database_ca_cert = store.database_ca_cert.clone();
    open(
        &store.data_dir,
        store.database_url.as_deref(),
        blob_store,
        config,
    )
    .await
    .map_err(|e| anyhow!("{e}"))
}

/// The password of `user add`: `ECABINET_PASSWORD`, else the first line of
/// standard input (a pipe, or typed at the terminal).
fn new_password() -> anyhow::Result<String> {
    if let Some(p) = std::env::var_os("ECABINET_PASSWORD") {
        return p
            .into_string()
            .map_err(|_| anyhow!("ECABINET_PASSWORD is not valid UTF-8"));
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// The id of the user named `username`.
async fn user_id_of(state: &ecabinet_server::AppState, username: &str) -> anyhow::Result<String> {
    let name = username.to_owned();
    state
        .db
        .read(move |conn| {
            let rows = conn.query(
                "SELECT id FROM users WHERE username = ?",
                ecabinet_server::params![&name],
            )?;
            Ok::<_, ecabinet_server::AppError>(
                rows.first()
                    .ok_or_else(|| ecabinet_server::AppError::not_found("user"))?
                    .text(0)?,
            )
        })
        .await
        .map_err(|e| anyhow!("{}", e.message))
}

/// `user disable` / `user enable`: prints `{"username", "disabled"}`.
async fn set_disabled(store: &Store, username: String, disabled: bool) -> anyhow::Result<()> {
    let state = state_of(store, None, Config::default()).await?;
    let now = state.now();
    let id = user_id_of(&state, &username).await?;
    state
        .db
        .write(move |tx| ecabinet_server::sessions::set_disabled(tx.conn, &id, disabled, now))
        .await
        .map_err(|e| anyhow!("{}", e.message))?;
    println!(
        "{}",
        serde_json::json!({"username": username, "disabled": disabled})
    );
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            config,
            data_dir,
            database_url,
            database_ca_cert,
            listen,
            tls_cert,
            tls_key,
            behind_tls_proxy,
            blob_store,
            max_upload_bytes,
            offline_lease_hours,
            pdf_checker,
            pdf_check_timeout_secs,
            isolated_network,
        } => {
            let flags = ServeFile {
                data_dir,
                database_url,
                database_ca_cert,
                listen,
                tls_cert,
                tls_key,
                behind_tls_proxy: behind_tls_proxy.then_some(true),
                blob_store,
                max_upload_bytes,
                offline_lease_hours,
                pdf_checker,
                pdf_check_timeout_secs,
                isolated_network: isolated_network.then_some(true),
            };
            let settings = match &config {
                Some(path) => ServeFile::load(path).map_err(Usage)?.under(flags),
                None => flags,
            };
            settings.validate().map_err(Usage)?;
            let store = Store {
                data_dir: settings.data_dir.clone().unwrap_or_default(),
                database_url: settings.database_url.clone(),
                database_ca_cert: settings.database_ca_cert.clone(),
            };
            let listen = settings.listen.clone().unwrap_or_default();
            let (tls_cert, tls_key) = (settings.tls_cert.clone(), settings.tls_key.clone());
            let behind_tls_proxy = settings.behind_tls_proxy.unwrap_or(false);
            let blob_store = settings.blob_store.clone();
            let max_upload_bytes = settings
                .max_upload_bytes
                .unwrap_or(Config::default().max_upload_bytes);
            let offline_lease_hours = settings.offline_lease_hours;
            let pdf_checker = settings.pdf_checker.clone();
            let pdf_check_timeout_secs = settings.pdf_check_timeout_secs.unwrap_or(60);
            // Check the transport before opening anything, so a refused
            // start changes nothing on disk.
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
                _ => None,
            };
            if tls.is_none()
                && !behind_tls_proxy
                && !tls::plain_http_allowed(&listen)
                    .await
                    .with_context(|| format!("cannot resolve the listen address {listen}"))?
            {
                return Err(anyhow!(tls::plain_http_refused(&listen)));
            }
            let pdf_check = ecabinet_server::pdf_check::PdfCheck {
                checker: pdf_checker,
                timeout: std::time::Duration::from_secs(pdf_check_timeout_secs),
                ..Default::default()
            };
            // Without its upload check the server would accept PDFs members
            // cannot open: refuse to start instead.
            let checker = pdf_check.resolve().map_err(|why| anyhow!(why))?;
            let config = Config {
                max_upload_bytes,
                offline_lease_hours,
                trust_forwarded_for: behind_tls_proxy,
                pdf_check: ecabinet_server::pdf_check::PdfCheck {
                    checker: Some(checker),
                    ..pdf_check
                },
                // The scrape token comes from the environment: argv is
                // visible to every user of the machine.
                isolated_network: settings.isolated_network.unwrap_or(false),
                metrics_token: std::env::var("ECABINET_METRICS_TOKEN")
                    .ok()
                    .filter(|t| !t.trim().is_empty()),
                ..Config::default()
            };
            ecabinet_server::logging::init();
            // The shared lock `state_of` takes is held while serving: the
            // signing key is never replaced under us.
            let state = state_of(&store, blob_store.as_deref(), config).await?;
            // Text layers a restart interrupted are read again.
            ecabinet_server::ocr::resume(&state);
            // Expired uploads and a crash's leftovers go now and hourly.
            ecabinet_server::routes::uploads::sweep_periodically(&state);
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            match tls {
                Some(config) => {
                    println!("listening on https://{addr}");
                    // `tap_io` gives axum the peer address of the TLS stream.
                    let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
                    axum::serve(listener, service)
                        .with_graceful_shutdown(shutdown)
                        .await?;
                }
                None => {
                    println!("listening on http://{addr}");
                    if behind_tls_proxy {
                        tracing::warn!(
                            "plain HTTP for a TLS-terminating proxy (--behind-tls-proxy): \
                             make sure the proxy is the only way to reach {addr}"
                        );
                    }
                    axum::serve(listener, service)
                        .with_graceful_shutdown(shutdown)
                        .await?;
                }
            }
        }
        Command::EnrolCode {
            store,
            username,
            valid_minutes,
        } => {
            let state = state_of(&store, None, Config::default()).await?;
            let now = state.now();
            let key = state.signer.public_key().to_vec();
            let issued = state
                .db
                .write(move |tx| enrol_codes::issue(tx.conn, &username, &key, valid_minutes, now))
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            println!("{}", issued.code.display());
            println!(
                "fingerprint: {}",
                enrol_code::format_fingerprint(&issued.code.fingerprint)
            );
            println!("expires: {}", rfc3339_utc(issued.expires_at));
        }
        Command::SeedDemo { store, blob_store } => {
            let state = state_of(&store, blob_store.as_deref(), Config::default()).await?;
            let summary = seed::seed_demo(&state)
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::User {
            command:
                UserCommand::Add {
                    store,
                    username,
                    display_name,
                    admin,
                    committee,
                    role,
                },
        } => {
            let password = new_password()?;
            if password.chars().count() < 8 {
                return Err(anyhow!("the password must have at least 8 characters"));
            }
            let role = role
                .map(|r| {
                    WireRole::parse(&r).ok_or_else(|| {
                        anyhow!("unknown role {r:?}: use member, secretary or chair")
                    })
                })
                .transpose()?;
            let state = state_of(&store, None, Config::default()).await?;
            let phc = auth::hash_password(&password).map_err(|e| anyhow!("{}", e.message))?;
            let now = state.now();
            let req = CreateUserRequest {
                username,
                display_name,
                password: String::new(),
                is_admin: admin,
            };
            let user = state
                .db
                .write(move |tx| {
                    let user = routes_accounts::insert_user(tx.conn, &req, &phc, now)?;
                    if let (Some(c), Some(r)) = (committee, role) {
                        routes_accounts::upsert_membership(tx, &c, &user.id, r, now)?;
                    }
                    Ok::<_, ecabinet_server::AppError>(user)
                })
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            println!("{}", serde_json::to_string(&user)?);
        }
        Command::User {
            command: UserCommand::Disable { store, username },
        } => set_disabled(&store, username, true).await?,
        Command::User {
            command: UserCommand::ResetPassword { store, username },
        } => {
            let password = new_password()?;
            if password.chars().count() < 8 {
                return Err(anyhow!("the password must have at least 8 characters"));
            }
            let phc = auth::hash_password(&password).map_err(|e| anyhow!("{}", e.message))?;
            let state = state_of(&store, None, Config::default()).await?;
            let now = state.now();
            let id = user_id_of(&state, &username).await?;
            state
                .db
                .write(move |tx| ecabinet_server::sessions::reset_password(tx.conn, &id, &phc, now))
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            println!(
                "{}",
                serde_json::json!({"username": username, "password_reset": true})
            );
        }
        Command::User {
            command: UserCommand::Enable { store, username },
        } => set_disabled(&store, username, false).await?,
        Command::Device {
            command: DeviceCommand::Revoke { store, device_id },
        } => {
            let state = state_of(&store, None, Config::default()).await?;
            let now = state.now();
            let dev = state
                .db
                .write(move |tx| routes_accounts::revoke(tx.conn, &device_id, now))
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            println!("{}", serde_json::to_string(&dev)?);
        }
        Command::Backup { store, to } => {
            if store.database_url.is_some() {
                bail!(
                    "backup copies a SQLite deployment; with PostgreSQL, use pg_dump and your object store's backup (README, operator section)"
                );
            }
            // Never half of a key rotation in a backup.
            hold_data_dir(&store, false)?;
            let data_dir = store.data_dir.clone();
            let now = ecabinet_server::clock::SystemClock.now_ms();
            let report = tokio::task::spawn_blocking(move || {
                ecabinet_server::backup::backup(&data_dir, &to, now)
            })
            .await??;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::AccessRegister { store, document_id } => {
            let state = state_of(&store, None, Config::default()).await?;
            let rows = state
                .db
                .read(move |conn| {
                    conn.query(
                        "SELECT r.at, r.user_id, u.username, u.display_name, r.device_id, r.document_id, r.version_id, r.classification \
                         FROM access_register r JOIN users u ON u.id = r.user_id \
                         WHERE (? IS NULL OR r.document_id = ?) ORDER BY r.at, r.id",
                        ecabinet_server::params![document_id.as_deref(), document_id.as_deref()],
                    )
                    .map_err(ecabinet_server::AppError::from)
                })
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            for r in rows {
                println!(
                    "{}",
                    serde_json::json!({
                        "at": rfc3339_utc(r.int(0)?),
                        "user_id": r.text(1)?,
                        "username": r.text(2)?,
                        "display_name": r.text(3)?,
                        "device_id": r.opt_text(4)?,
                        "document_id": r.text(5)?,
                        "version_id": r.text(6)?,
                        "classification": r.text(7)?,
                    })
                );
            }
        }
        Command::TrustedRoots { store, set, clear } => {
            let state = state_of(&store, None, Config::default()).await?;
            let pem = match (&set, clear) {
                (Some(path), _) => Some(
                    std::fs::read_to_string(path)
                        .map_err(|e| anyhow!("{}: {e}", path.display()))?,
                ),
                (None, true) => Some(String::new()),
                (None, false) => None,
            };
            let now = ecabinet_server::clock::SystemClock.now_ms();
            let st = state.clone();
            let current = match pem {
                Some(pem) => {
                    state
                        .db
                        .write(move |tx| {
                            ecabinet_server::trusted_roots::set(tx.conn, &st.signer, &pem, now)
                                .map(Some)
                        })
                        .await
                }
                None => {
                    state
                        .db
                        .read(|conn| ecabinet_server::trusted_roots::current(conn))
                        .await
                }
            }
            .map_err(|e| anyhow!("{}", e.message))?;
            let view = ecabinet_server::trusted_roots::view(current.as_ref());
            println!("{}", serde_json::to_string(&view)?);
        }
        Command::SigningCertificates {
            store,
            user,
            add,
            remove,
        } => {
            let state = state_of(&store, None, Config::default()).await?;
            let id = user_id_of(&state, &user).await?;
            let now = ecabinet_server::clock::SystemClock.now_ms();
            let parsed = match &add {
                Some(path) => Some(
                    ecabinet_server::member_certificates::parse(
                        &std::fs::read_to_string(path)
                            .map_err(|e| anyhow!("{}: {e}", path.display()))?,
                    )
                    .map_err(|e| anyhow!("{}: {}", path.display(), e.message))?,
                ),
                None => None,
            };
            let list = state
                .db
                .write(move |tx| {
                    use ecabinet_server::member_certificates as certs;
                    if let Some((der, info)) = &parsed {
                        certs::register(tx.conn, &id, der, info, "ecabinet-server", now)?;
                    }
                    if let Some(sha256) = &remove {
                        if !certs::remove(tx.conn, &id, sha256)? {
                            return Err(ecabinet_server::AppError::not_found(
                                "signing certificate",
                            ));
                        }
                    }
                    Ok(certs::all(tx.conn)?.remove(&id).unwrap_or_default())
                })
                .await
                .map_err(|e| anyhow!("{}", e.message))?;
            println!("{}", serde_json::to_string(&list)?);
        }
        Command::RotateSigningKey { store } => {
            hold_data_dir(&store, true)?;
            let state = state_of(&store, None, Config::default()).await?;
            let report = key_rotation::rotate(&state, &store.data_dir)
                .await
                .map_err(|e| anyhow!(e))?;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Restore { data_dir, from } => {
            let report = tokio::task::spawn_blocking(move || {
                ecabinet_server::backup::restore(&from, &data_dir)
            })
            .await??;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Audit {
            command: AuditCommand::Verify { store },
        } => {
            let state = state_of(&store, None, Config::default()).await?;
            let (records, head) = state
                .db
                .read(|conn| {
                    let n = ecabinet_server::audit::verify(conn)?;
                    let head = ecabinet_server::audit::head(conn)?;
                    Ok::<_, ecabinet_server::audit::AuditLogError>((n, head))
                })
                .await?;
            println!(
                "audit chain intact: {records} records, head {}",
                head.to_hex()
            );
        }
    }
    Ok(())
}

/// Unix milliseconds as RFC 3339 UTC to the second (`2026-12-03T08:15:20Z`).
fn rfc3339_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line, for scripts and operators; `--help` has the rest.
            let text = e.to_string();
            let head = text.split("\n\n").next().unwrap_or("invalid arguments");
            let line = head.split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!(
                "ecabinet-server: {} (see --help)",
                line.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ecabinet-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecabinet-server: {e:#}");
            // Settings that do not fit together, from flags or the config
            // file alike, are a usage error, as clap's own are.
            if e.downcast_ref::<Usage>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Settings that cannot be used as given (exit status 2).
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_utc_matches_known_dates() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (1_709_164_800_000, "2024-02-29T00:00:00Z"),
            (1_780_000_000_999, "2026-05-28T20:26:40Z"),
            (4_102_444_799_000, "2099-12-31T23:59:59Z"),
        ] {
            assert_eq!(super::rfc3339_utc(ms), text, "{ms}");
        }
    }
}
