//! The `ecabinet-server` command: serve, seed the demo committee, manage
//! users and devices.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use clap::{Parser, Subcommand};
use ecabinet_protocol::{CreateUserRequest, WireRole};
use ecabinet_server::routes::accounts as routes_accounts;
use ecabinet_server::{app, auth, open, seed, Config};

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
    /// `postgres://user@host:port/db` to keep metadata in PostgreSQL instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API; prints `listening on http://ADDR` first.
    Serve {
        #[command(flatten)]
        store: Store,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long)]
        listen: String,
        /// `s3://BUCKET?endpoint=URL&region=R` to keep blobs in an S3-API store.
        #[arg(long)]
        blob_store: Option<String>,
        /// Largest accepted PDF upload in bytes.
        #[arg(long, default_value_t = Config::default().max_upload_bytes)]
        max_upload_bytes: usize,
        /// Offline lease: devices refuse to open their cache after this many
        /// hours without a successful sync (default: no lease).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        offline_lease_hours: Option<u32>,
    },
    /// Create the Vietnamese demo committee; prints accounts and passwords as JSON.
    SeedDemo {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        blob_store: Option<String>,
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
    /// Add a user, optionally an admin and/or a member of a committee.
    Add {
        #[command(flatten)]
        store: Store,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// The password; read from ECABINET_PASSWORD when absent.
        #[arg(long, env = "ECABINET_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long)]
        admin: bool,
        /// Committee id to join.
        #[arg(long, requires = "role")]
        committee: Option<String>,
        /// member, secretary or chair.
        #[arg(long, requires = "committee")]
        role: Option<String>,
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

async fn state_of(
    store: &Store,
    blob_store: Option<&str>,
    config: Config,
) -> anyhow::Result<ecabinet_server::AppState> {
    open(
        &store.data_dir,
        store.database_url.as_deref(),
        blob_store,
        config,
    )
    .await
    .map_err(|e| anyhow!("{e}"))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            store,
            listen,
            blob_store,
            max_upload_bytes,
            offline_lease_hours,
        } => {
            let config = Config {
                max_upload_bytes,
                offline_lease_hours,
                ..Config::default()
            };
            let state = state_of(&store, blob_store.as_deref(), config).await?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let addr = listener.local_addr()?;
            println!("listening on http://{addr}");
            axum::serve(listener, app(state))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
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
                    password,
                    admin,
                    committee,
                    role,
                },
        } => {
            if password.len() < 8 {
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
            ExitCode::FAILURE
        }
    }
}
