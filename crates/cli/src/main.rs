//! `ecabinet`: the headless E-Cabinet client.
//!
//! Secretaries pre-load tablets with it before a session, operators script
//! it, and the end-to-end tests drive it. It uses the same core crates as the
//! desktop app, so a cache it fills is the cache the app opens.
//!
//! The PIN comes from `ECABINET_PIN` (else a prompt), the password from
//! `ECABINET_PASSWORD` (else a prompt), an enrol code from
//! `ECABINET_ENROL_CODE` (else a prompt with `enrol --enrol-code`): secrets
//! never go on the command line, where other users of the computer can read
//! them. Unlocking needs the PIN every time.

mod docs;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use ecabinet_store::{Binding, Store, StoreConfig, StoreError, StoreState, SystemClock};
use ecabinet_sync::{
    enrol, now_ms, EnrolRequest, Progress, ProgressSink, ServerCheck, SyncError, SyncStatus, Syncer,
};

#[derive(Parser)]
#[command(name = "ecabinet", version, about = "Headless E-Cabinet client")]
struct Cli {
    /// Folder of this device's encrypted cache.
    #[arg(long, global = true, env = "ECABINET_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enrol this device with a sync server and create its encrypted cache.
    ///
    /// The server's identity is checked out of band: with the enrol code your
    /// administrator gave you (ECABINET_ENROL_CODE, or --enrol-code to be
    /// asked for it), or else with --server-fingerprint as they gave it.
    Enrol {
        /// e.g. https://ecabinet.example.gov.vn (http:// only to this computer)
        #[arg(long)]
        server: String,
        #[arg(long)]
        user: String,
        /// Name shown to administrators (default: the host name).
        #[arg(long)]
        device_name: Option<String>,
        /// The deployment's CA certificate(s), a PEM file, when the server's
        /// certificate comes from a private CA; trusted for this server from then on.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Use an enrol code: read from ECABINET_ENROL_CODE, else asked for
        /// (it is a secret, so it is never taken from the command line).
        #[arg(long, conflicts_with = "server_fingerprint")]
        enrol_code: bool,
        /// Without an enrol code: the server's fingerprint exactly as your
        /// administrator gave it (FFFF-FFFF-FFFF-FFFF).
        #[arg(long, value_name = "FP")]
        server_fingerprint: Option<String>,
    },
    /// Sign this enrolled device in again after its session ended (logout,
    /// or the session's lifetime): asks only for the password
    /// (ECABINET_PASSWORD, else a prompt); the cache and the ballots waiting
    /// to be sent are kept.
    Login,
    /// Change your password (the current one from ECABINET_PASSWORD, the new
    /// one from ECABINET_NEW_PASSWORD, else prompts); your annotation key is
    /// re-wrapped under the new one. Your other devices sign in again.
    Password,
    /// Pull the feed and download every document (verified, resumable).
    Sync,
    /// Show the cache's state.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List the motions in the cache, with this device's ballot on each.
    Motions {
        #[arg(long)]
        json: bool,
    },
    /// List the cached documents and their versions.
    Documents {
        #[arg(long)]
        json: bool,
    },
    /// Render one page of a document's current version to a PNG file.
    Render {
        doc_id: String,
        /// Page number, from 1.
        #[arg(long)]
        page: u32,
        #[arg(long, default_value_t = 150.0)]
        dpi: f32,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the signatures embedded in a document's current version (PAdES)
    /// against the roots the deployment trusts: who signed and when, whether
    /// it changed after signing, whether the certificate chains to a trusted
    /// root and is still valid, and whether its CA revoked it (the revocation
    /// lists kept with the roots). Offline.
    Signatures {
        doc_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Search every cached document (offline; "quyet dinh" also finds "quyết định").
    /// A document that cannot be read (no pages, a password, damaged, not
    /// downloaded) is named on standard error and the others are searched.
    Search {
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a private annotation to a document's current version.
    Annotate {
        doc_id: String,
        /// Page number, from 1.
        #[arg(long)]
        page: u32,
        #[arg(long, value_enum)]
        kind: docs::Kind,
        /// x0,y0,x1,y1 in PDF points, origin bottom-left.
        #[arg(long)]
        rect: String,
        #[arg(long)]
        text: Option<String>,
    },
    /// Write the document with my annotations as real PDF annotations.
    Export { doc_id: String, out: PathBuf },
    /// Upload a PDF as the next version of a document (secretary, chair),
    /// in resumable parts: a dropped connection is waited out and the upload
    /// goes on from what the server holds. The version stays unpublished
    /// until the meeting is published.
    Upload {
        doc_id: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Sign a document's current version with the key on a PKCS#11 token
    /// (PAdES: the signature goes into the PDF as an incremental update)
    /// and upload the signed file as the document's next version (secretary,
    /// chair). The token's PIN comes from the environment variable named by
    /// --pin-env, else a prompt; never from the command line.
    Sign {
        doc_id: String,
        /// The token's PKCS#11 module (its driver, e.g. from the CA).
        #[arg(long, value_name = "PATH")]
        token_module: PathBuf,
        /// The environment variable that holds the token's PIN.
        #[arg(long, value_name = "VAR", default_value = "ECABINET_TOKEN_PIN")]
        pin_env: String,
        /// The label of the key to sign with, when the token holds several.
        #[arg(long)]
        key_label: Option<String>,
        /// Why it is signed, e.g. "Ký ban hành biên bản".
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Follow the presenter of a meeting (trình chiếu): stays connected and
    /// prints each new position (document version, page, region) as it
    /// arrives, one JSON object a line with --json, until interrupted or
    /// --count positions were printed. Pages are read from this device.
    Follow {
        meeting_id: String,
        #[arg(long)]
        json: bool,
        /// Stop after this many positions.
        #[arg(long)]
        count: Option<u64>,
    },
    /// Comment on a published draft before the meeting (góp ý dự thảo):
    /// on a page (and a region of it), or on the whole document. Works
    /// offline; the next sync sends it. Seen by the secretary and the chair.
    Comment {
        doc_id: String,
        /// The comment, in Vietnamese or English.
        text: String,
        /// Page number, from 1; without it the comment is on the whole document.
        #[arg(long)]
        page: Option<u32>,
        /// x,y,w,h as fractions of the page (0 to 1) from its top-left corner.
        #[arg(long, requires = "page")]
        region: Option<String>,
    },
    /// The comments on a document I may read, with the secretary's answers
    /// (from the server), and mine not yet answered by it (from the outbox);
    /// --summary-pdf writes the summary table (bảng tổng hợp ý kiến).
    Comments {
        doc_id: String,
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "FILE")]
        summary_pdf: Option<PathBuf>,
    },
    /// The opinion forms (phiếu lấy ý kiến) of a written consultation, from
    /// the server: whose, which choice, and each form's signature checked
    /// against the synced trusted roots; --save DIR writes each PDF there.
    Opinions {
        motion_id: String,
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DIR")]
        save: Option<PathBuf>,
    },
    /// Answer a comment (secretary, chair): accepted, answered or declined,
    /// the last two with --reply.
    Respond {
        comment_id: String,
        #[arg(long, value_parser = ["open", "accepted", "answered", "declined"])]
        status: String,
        #[arg(long)]
        reply: Option<String>,
    },
    /// Present a page of a published version to the meeting (the chair, or
    /// the presenter the chair chose); `--stop` ends presenting.
    Present {
        meeting_id: String,
        #[arg(long, required_unless_present = "stop")]
        version_id: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, conflicts_with = "version_id")]
        stop: bool,
    },
    /// Record a ballot now (works offline); the next sync sends it. With
    /// --token-module the ballot is also signed with the member's PKCS#11
    /// token (ký số), as a motion that takes only signed ballots requires;
    /// the PIN comes from the variable named by --pin-env, else a prompt.
    Vote {
        motion_id: String,
        /// The option's number (0 = first) or its text, e.g. "Đồng ý".
        choice: String,
        /// The token's PKCS#11 module (its driver, e.g. from the CA).
        #[arg(long, value_name = "PATH")]
        token_module: Option<PathBuf>,
        /// The environment variable that holds the token's PIN.
        #[arg(long, value_name = "VAR", default_value = "ECABINET_TOKEN_PIN")]
        pin_env: String,
        /// The label of the key to sign with, when the token holds several.
        #[arg(long)]
        key_label: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ecabinet: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ecabinet: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let dir = cli
        .data_dir
        .context("no data folder: pass --data-dir DIR (or set ECABINET_DATA_DIR)")?;
    match cli.command {
        Command::Enrol {
            server,
            user,
            device_name,
            ca_cert,
            enrol_code,
            server_fingerprint,
        } => {
            let config = StoreConfig::default();
            if matches!(
                Store::state(&dir, &config, &SystemClock)?,
                StoreState::Locked { .. }
            ) {
                bail!("{} already holds an enrolled cache", dir.display());
            }
            let ca_cert = ca_cert
                .map(|path| {
                    std::fs::read_to_string(&path).with_context(|| {
                        format!("cannot read the CA certificate file {}", path.display())
                    })
                })
                .transpose()?;
            let code = if enrol_code || std::env::var_os("ECABINET_ENROL_CODE").is_some() {
                Some(secret("ECABINET_ENROL_CODE", "Mã đăng ký / Enrol code: ")?)
            } else {
                None
            };
            let server_check = match (&code, &server_fingerprint) {
                (Some(_), Some(_)) => bail!(
                    "give either an enrol code (ECABINET_ENROL_CODE) or --server-fingerprint, not both"
                ),
                (Some(code), None) => ServerCheck::EnrolCode(code),
                (None, Some(fp)) => ServerCheck::Fingerprint(fp),
                (None, None) => bail!(
                    "the server's identity must be checked: set ECABINET_ENROL_CODE to the enrol code \
                     from your administrator (or pass --enrol-code to be asked for it), or pass \
                     --server-fingerprint FFFF-FFFF-FFFF-FFFF exactly as your administrator gave it"
                ),
            };
            let password = secret("ECABINET_PASSWORD", "Mật khẩu / Password: ")?;
            let pin = secret("ECABINET_PIN", "Chọn mã PIN / Choose a PIN: ")?;
            let name = device_name.unwrap_or_else(default_device_name);
            // Read before enrolling: enrolment reports it to the server.
            let lost = ecabinet_store::lost_ops(&dir);
            let store = enrol(EnrolRequest {
                data_dir: &dir,
                server_url: &server,
                ca_cert: ca_cert.as_deref(),
                username: &user,
                password: &password,
                pin: &pin,
                device_name: &name,
                server_check,
                config: &config,
            })
            .await?;
            match store.binding()? {
                Binding::OsKeystore => eprintln!(
                    "the cache key is bound to this account's system keyring: a copy of {} cannot be opened elsewhere",
                    dir.display()
                ),
                Binding::PinOnly => eprintln!(
                    "warning: no system keyring is available, so this passphrase alone protects {}",
                    dir.display()
                ),
            }
            if let Some(lost) = lost {
                let told = if ecabinet_store::lost_ops(&dir).is_none() {
                    "the server has been told"
                } else {
                    "the server could not be told yet; it will be at the next enrolment"
                };
                eprintln!(
                    "warning: a wrong-PIN wipe erased {} operations (ballots, attendance, notes) that the server had not confirmed; vote again where needed ({told}). Operation ids: {}",
                    lost.op_ids.len(),
                    lost.op_ids.join(", ")
                );
            }
            let status = SyncStatus::read(&store)?;
            println!(
                "enrolled {} as device {} with {}",
                user,
                status.device_id.unwrap_or_default(),
                server
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Login => {
            let store = Arc::new(unlock(&dir)?);
            let password = secret("ECABINET_PASSWORD", "Mật khẩu / Password: ")?;
            ecabinet_sync::sign_in_again(&store, &password).await?;
            let status = SyncStatus::read(&store)?;
            println!(
                "signed in again as device {}; {} operations wait to be sent",
                status.device_id.unwrap_or_default(),
                status.pending_outbox
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Password => {
            let store = Arc::new(unlock(&dir)?);
            let old = secret(
                "ECABINET_PASSWORD",
                "Mật khẩu hiện tại / Current password: ",
            )?;
            let new = secret("ECABINET_NEW_PASSWORD", "Mật khẩu mới / New password: ")?;
            ecabinet_sync::change_password(&store, &old, &new).await?;
            println!("password changed; your other devices will ask for the new one");
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync => {
            let store = Arc::new(unlock(&dir)?);
            let syncer = Syncer::new(store)?;
            eprintln!("syncing with {}", syncer.api().url(""));
            let sink = TerminalProgress::new();
            match syncer.sync_once(&sink).await {
                Ok(report) => {
                    sink.finish();
                    println!(
                        "pushed {} operations ({} accepted, {} superseded, {} rejected)",
                        report.push.sent,
                        report.push.accepted,
                        report.push.superseded,
                        report.push.rejected
                    );
                    println!(
                        "synced: {} changes, cursor {}, {} documents stored, {} rejected, {} interrupted",
                        report.pull.changes,
                        report.pull.cursor,
                        report.documents.stored(),
                        report.documents.rejected(),
                        report.documents.interrupted()
                    );
                    for (version, outcome) in &report.documents.outcomes {
                        if let ecabinet_sync::DocumentOutcome::Rejected { reason }
                        | ecabinet_sync::DocumentOutcome::Interrupted { reason } = outcome
                        {
                            println!("  document version {version}: {reason}");
                        }
                    }
                    let failed = report.documents.rejected() + report.documents.interrupted();
                    Ok(if failed == 0 {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(3)
                    })
                }
                Err(SyncError::DeviceRevoked) => {
                    sink.finish();
                    eprintln!("ecabinet: {}", SyncError::DeviceRevoked);
                    Ok(ExitCode::from(4))
                }
                Err(e) => {
                    sink.finish();
                    Err(e.into())
                }
            }
        }
        Command::Documents { json } => {
            let store = open_content(&dir)?;
            let list = docs::list(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for d in list.as_array().into_iter().flatten() {
                    println!(
                        "{}  {}  ({} versions)",
                        d["id"].as_str().unwrap_or_default(),
                        d["title"].as_str().unwrap_or_default(),
                        d["versions"].as_array().map_or(0, Vec::len)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Render {
            doc_id,
            page,
            dpi,
            out,
        } => {
            let store = open_content(&dir)?;
            docs::render(&store, &doc_id, page, dpi, &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Signatures { doc_id, json } => {
            let store = open_content(&dir)?;
            let (version, reports) = docs::signatures(&store, &doc_id)?;
            let verdict = ecabinet_pades::verdict(&reports);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "document_id": doc_id,
                        "version": version,
                        "verdict": verdict,
                        "signatures": reports,
                    }))?
                );
            } else {
                docs::print_signatures(verdict, &reports);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { query, json } => {
            let store = open_content(&dir)?;
            let docs::SearchOutcome { hits, skipped } = docs::search(&store, &query)?;
            for (id, title, why) in &skipped {
                eprintln!("not searched: «{title}» ({id}): {why}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else {
                for h in hits.as_array().into_iter().flatten() {
                    println!(
                        "{} p.{}: {}",
                        h["title"].as_str().unwrap_or_default(),
                        h["page"],
                        h["text"].as_str().unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Annotate {
            doc_id,
            page,
            kind,
            rect,
            text,
        } => {
            let rect = docs::parse_rect(&rect)?;
            let store = open_content(&dir)?;
            let now = now_ms();
            let id = docs::annotate(&store, &doc_id, page, kind, rect, text, now)?;
            println!("annotation {id} added");
            Ok(ExitCode::SUCCESS)
        }
        Command::Upload { doc_id, file, json } => {
            let store = Arc::new(unlock(&dir)?);
            let syncer = Syncer::new(store)?;
            let mut said = std::time::Instant::now();
            let mut progress = |held: u64, size: u64| {
                if held == size || said.elapsed() >= std::time::Duration::from_secs(1) {
                    said = std::time::Instant::now();
                    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
                    eprintln!(
                        "uploaded {:.1} of {:.1} MB ({}%)",
                        mb(held),
                        mb(size),
                        (held * 100).checked_div(size).unwrap_or(100)
                    );
                }
            };
            let v =
                ecabinet_sync::secretary::upload_file(syncer.api(), &doc_id, &file, &mut progress)
                    .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{}: version {} of document {} ({} bytes, sha256 {}); publish the meeting to send it to members",
                    file.display(),
                    v.version,
                    v.document_id,
                    v.size,
                    v.sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign {
            doc_id,
            token_module,
            pin_env,
            key_label,
            reason,
            json,
        } => {
            let store = Arc::new(open_content(&dir)?);
            let v = docs::current_version(&store, &doc_id)?;
            if v.size > ecabinet_pades::sign::MAX_SIGN_BYTES as u64 {
                bail!("{}", ecabinet_pades::sign::SignError::TooLarge);
            }
            let pdf = store.read_blob(&v.sha256)?;
            let pin = zeroize::Zeroizing::new(secret(
                &pin_env,
                "Mã PIN của thiết bị ký số / Token PIN: ",
            )?);
            let token =
                ecabinet_pades::token::Token::open(&token_module, &pin, key_label.as_deref())?;
            drop(pin);
            let signed =
                ecabinet_pades::token::sign_document(&token, pdf, reason, now_ms() / 1000)?;
            let syncer = Syncer::new(store)?;
            let uploaded =
                ecabinet_sync::secretary::upload_version(syncer.api(), &doc_id, signed).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&uploaded)?);
            } else {
                println!(
                    "signed version {} of document {} uploaded as version {}; publish the meeting to send it to members",
                    v.version, doc_id, uploaded.version
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Follow {
            meeting_id,
            json,
            count,
        } => {
            let store = Arc::new(open_content(&dir)?);
            let syncer = Syncer::new(store.clone())?;
            let sink = FollowSink {
                store,
                meeting_id,
                json,
                last_step: Mutex::new(0),
                printed: Mutex::new(0),
                count,
                done: tokio::sync::Notify::new(),
            };
            // What this device already has, then every change as it comes.
            sink.show();
            let stop = async {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    () = sink.done.notified() => {}
                }
            };
            if !sink.finished() {
                syncer.run_live(&sink, stop).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Present {
            meeting_id,
            version_id,
            page,
            stop,
        } => {
            let store = Arc::new(open_content(&dir)?);
            let syncer = Syncer::new(store)?;
            let p = match version_id {
                Some(v) if !stop => {
                    if page == 0 {
                        bail!("pages are numbered from 1");
                    }
                    ecabinet_sync::presenting::present(
                        syncer.api(),
                        &meeting_id,
                        &v,
                        page - 1,
                        None,
                    )
                    .await?
                }
                _ => ecabinet_sync::presenting::stop_presenting(syncer.api(), &meeting_id).await?,
            };
            println!("{}", serde_json::to_string(&p)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Comment {
            doc_id,
            text,
            page,
            region,
        } => {
            let store = open_content(&dir)?;
            let v = docs::current_version(&store, &doc_id)?;
            let region = region.as_deref().map(docs::parse_region).transpose()?;
            let op_id = ecabinet_sync::comments::write_comment(
                &store,
                &v.id,
                page,
                region,
                &text,
                now_ms(),
            )?;
            println!(
                "comment {op_id} recorded on version {}; the next sync sends it",
                v.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Comments {
            doc_id,
            json,
            summary_pdf,
        } => {
            let store = Arc::new(open_content(&dir)?);
            let queued: Vec<_> = ecabinet_sync::comments::queued_comments(&store, &doc_id)?
                .into_iter()
                .filter(|q| q.state != "accepted")
                .collect();
            let syncer = Syncer::new(store.clone())?;
            let list = match ecabinet_sync::comments::comments(syncer.api(), &doc_id).await {
                Ok(list) => list,
                // Offline, this device's own comments still show.
                Err(e) if e.is_transient() && summary_pdf.is_none() => {
                    eprintln!(
                        "{e}: showing only this device's comments not yet taken by the server"
                    );
                    ecabinet_protocol::DraftCommentsBody {
                        document_id: doc_id.clone(),
                        comments: Vec::new(),
                        can_respond: false,
                        shared_with_members: false,
                    }
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(out) = &summary_pdf {
                let pdf = docs::comment_summary(&store, &doc_id, &list)?;
                std::fs::write(out, pdf).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("{}: {} comments", out.display(), list.comments.len());
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "comments": list.comments,
                        "can_respond": list.can_respond,
                        "shared_with_members": list.shared_with_members,
                        "queued": queued,
                    }))?
                );
            } else if summary_pdf.is_none() {
                for c in &list.comments {
                    let at = c
                        .page
                        .map_or("whole document".to_owned(), |p| format!("page {p}"));
                    println!(
                        "{}  [{}]  {} ({at}): {}",
                        c.id,
                        c.status.as_str(),
                        c.author_name,
                        c.text
                    );
                    if let Some(reply) = &c.reply {
                        println!("    ↳ {reply}");
                    }
                }
                for q in &queued {
                    let reason = q
                        .reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    println!("{}  [{}{reason}]  {}", q.op_id, q.state, q.body.text);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Respond {
            comment_id,
            status,
            reply,
        } => {
            let store = Arc::new(open_content(&dir)?);
            let syncer = Syncer::new(store)?;
            let status = ecabinet_protocol::CommentStatus::parse(&status)
                .context("status: open, accepted, answered or declined")?;
            let c = ecabinet_sync::comments::respond(
                syncer.api(),
                &comment_id,
                status,
                reply.as_deref(),
            )
            .await?;
            println!("{}", serde_json::to_string(&c)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Opinions {
            motion_id,
            json,
            save,
        } => {
            let store = Arc::new(open_content(&dir)?);
            // Not cached: the forms are still listed, with option numbers.
            let options = match ecabinet_sync::cached_motion(&store, &motion_id) {
                Ok(motion) => ecabinet_sync::motion_options(&motion),
                Err(ecabinet_sync::SyncError::NotInCache { .. }) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            let trust = ecabinet_sync::trust_store(&store)?;
            let syncer = Syncer::new(store)?;
            let list = ecabinet_sync::opinions::list(syncer.api(), &motion_id).await?;
            if let Some(dir) = &save {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut out = Vec::new();
            for form in &list.forms {
                let pdf = ecabinet_sync::opinions::fetch(syncer.api(), &motion_id, form).await?;
                let reports = ecabinet_pades::verify_bytes(&pdf, &trust, now_ms() / 1000);
                let verdict = ecabinet_pades::verdict(&reports);
                let saved = match &save {
                    Some(dir) => {
                        let path = dir.join(format!("phieu-lay-y-kien-{}.pdf", form.op_id));
                        std::fs::write(&path, &pdf)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        Some(path)
                    }
                    None => None,
                };
                let option = options
                    .get(form.choice as usize)
                    .cloned()
                    .unwrap_or_default();
                if !json {
                    println!(
                        "{}  {}  {}{}  [{}]{}",
                        form.op_id,
                        form.member_name.as_deref().unwrap_or(&form.member_id),
                        option,
                        if form.counting { "" } else { " (replaced)" },
                        serde_json::to_value(verdict)?.as_str().unwrap_or_default(),
                        saved
                            .as_ref()
                            .map(|p| format!("  → {}", p.display()))
                            .unwrap_or_default()
                    );
                }
                out.push(serde_json::json!({
                    "form": form,
                    "option": option,
                    "verdict": verdict,
                    "signatures": reports,
                    "saved": saved,
                }));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if list.forms.is_empty() {
                println!("no opinion forms for motion {motion_id}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { doc_id, out } => {
            let store = open_content(&dir)?;
            let n = docs::export(&store, &doc_id, &out)?;
            println!("{}: written with {n} annotations", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Motions { json } => {
            let store = open_content(&dir)?;
            let motions = motions_view(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&motions)?);
            } else {
                for m in &motions {
                    println!(
                        "{}  [{}]  {}",
                        m["id"].as_str().unwrap_or_default(),
                        m["status"].as_str().unwrap_or_default(),
                        m["question"].as_str().unwrap_or_default()
                    );
                    let receipt = &m["my_ballot"]["receipt"];
                    if receipt["verified"] == serde_json::Value::Bool(false) {
                        eprintln!(
                            "  error: my ballot's audit receipt {} does not check against the published result: {}",
                            receipt["hash"].as_str().unwrap_or_default(),
                            receipt["error"].as_str().unwrap_or_default()
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Vote {
            motion_id,
            choice,
            token_module,
            pin_env,
            key_label,
        } => {
            let store = open_content(&dir)?;
            let motion = ecabinet_sync::cached_motion(&store, &motion_id)
                .with_context(|| format!("no motion {motion_id} in the cache: sync first"))?;
            let options = ecabinet_sync::motion_options(&motion);
            let index = parse_choice(&options, &choice)?;
            let now = now_ms();
            let signed = token_module.is_some();
            let op_id = match token_module {
                None => ecabinet_sync::cast_ballot(&store, &motion_id, index, now)?,
                Some(module) => {
                    let pin = zeroize::Zeroizing::new(secret(
                        &pin_env,
                        "Mã PIN của thiết bị ký số / Token PIN: ",
                    )?);
                    let token =
                        ecabinet_pades::token::Token::open(&module, &pin, key_label.as_deref())?;
                    drop(pin);
                    // A written consultation's opinion form, signed first.
                    let form =
                        match ecabinet_sync::opinion_form_text(&store, &motion_id, index, now)? {
                            Some(text) => Some(docs::signed_opinion_form(&token, &text, now)?),
                            None => None,
                        };
                    ecabinet_sync::cast_signed_ballot(
                        &store,
                        &motion_id,
                        index,
                        now,
                        &mut |data| {
                            Ok(ecabinet_sync::TokenSignature {
                                signature: token.sign(data).map_err(|e| e.to_string())?,
                                certificate: token.certificate.clone(),
                                chain: token.others.clone(),
                            })
                        },
                        form,
                    )?
                }
            };
            println!(
                "ballot {op_id} recorded: {}{} (pending until the next sync)",
                options.get(index as usize).map_or("", String::as_str),
                if signed {
                    ", signed with the token"
                } else {
                    ""
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            let store = unlock(&dir)?;
            let status = SyncStatus::read(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                println!("server:        {}", status.server_url.unwrap_or_default());
                println!("user:          {}", status.username.unwrap_or_default());
                println!("cursor:        {}", status.cursor);
                println!("meetings:      {}", status.meetings);
                println!(
                    "documents:     {} ({} versions, {} verified)",
                    status.documents, status.document_versions, status.verified_blobs
                );
                println!("outbox:        {} pending", status.pending_outbox);
                if let Some(h) = status.lease.hours {
                    println!(
                        "offline lease: {h} h{}",
                        if status.lease.expired {
                            " — expired: sync to open the documents again"
                        } else {
                            ""
                        }
                    );
                }
                if let Some(e) = status.last_error {
                    println!("last error:    {e}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The motions of every cached meeting, each with this device's latest ballot.
fn motions_view(store: &Store) -> Result<Vec<serde_json::Value>> {
    let ballots = ecabinet_sync::ballots(store)?;
    let mut out = Vec::new();
    for meeting in store.meetings(None)? {
        for (id, body) in store.motions(&meeting.id)? {
            let mine = ballots.iter().rev().find(|b| b.motion_id == id);
            out.push(serde_json::json!({
                "id": id,
                "meeting_id": meeting.id,
                "meeting_title": meeting.title,
                "question": body.get("question"),
                "options": body.get("options"),
                "status": body.get("status"),
                "mode": body.get("mode"),
                "kind": body.get("kind"),
                "deadline": body.get("deadline"),
                "my_ballot": mine,
            }));
        }
    }
    Ok(out)
}

fn parse_choice(options: &[String], choice: &str) -> Result<u32> {
    if let Ok(n) = choice.parse::<u32>() {
        if (n as usize) < options.len() {
            return Ok(n);
        }
        bail!(
            "choice {n} is out of range: the motion has {} options",
            options.len()
        );
    }
    let wanted = choice.trim().to_lowercase();
    options
        .iter()
        .position(|o| o.to_lowercase() == wanted)
        .map(|i| i as u32)
        .with_context(|| {
            format!(
                "{choice:?} is not an option; options: {}",
                options.join(" / ")
            )
        })
}

fn default_device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "ecabinet".to_owned())
}

/// Prints the presenter's position each time a sync brings a newer one.
struct FollowSink {
    store: Arc<Store>,
    meeting_id: String,
    json: bool,
    last_step: Mutex<i64>,
    printed: Mutex<u64>,
    count: Option<u64>,
    done: tokio::sync::Notify,
}

impl FollowSink {
    fn show(&self) {
        let p = match ecabinet_sync::presenting::presentation_of(&self.store, &self.meeting_id) {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                eprintln!("ecabinet: {e}");
                return;
            }
        };
        {
            let mut last = self.last_step.lock().unwrap_or_else(|e| e.into_inner());
            if p.step <= *last {
                return;
            }
            *last = p.step;
        }
        if self.json {
            let mut line = serde_json::to_value(&p).unwrap_or_default();
            line["received_at"] = now_ms().into();
            println!("{line}");
        } else {
            match &p.version_id {
                Some(v) => println!(
                    "{} presents version {v}, page {}",
                    p.presenter_name,
                    p.page + 1
                ),
                None => println!("{}: nothing presented", p.presenter_name),
            }
        }
        let _ = std::io::stdout().flush();
        let mut printed = self.printed.lock().unwrap_or_else(|e| e.into_inner());
        *printed += 1;
        if self.count.is_some_and(|c| *printed >= c) {
            self.done.notify_one();
        }
    }

    fn finished(&self) -> bool {
        let printed = *self.printed.lock().unwrap_or_else(|e| e.into_inner());
        self.count.is_some_and(|c| printed >= c)
    }
}

impl ProgressSink for FollowSink {
    fn progress(&self, _: &Progress) {}
}

impl ecabinet_sync::LiveSink for FollowSink {
    fn event(&self, e: &ecabinet_sync::LiveEvent) {
        match e {
            ecabinet_sync::LiveEvent::Synced(_) => self.show(),
            ecabinet_sync::LiveEvent::Offline(why) => {
                eprintln!("offline, following again when the server is back: {why}")
            }
            ecabinet_sync::LiveEvent::Failed(why) => eprintln!("ecabinet: {why}"),
            _ => {}
        }
    }
}

fn secret(var: &str, prompt: &str) -> Result<String> {
    if let Ok(v) = std::env::var(var) {
        return Ok(v);
    }
    if !std::io::stdin().is_terminal() {
        bail!("{var} is not set and there is no terminal to ask on");
    }
    Ok(rpassword::prompt_password(prompt)?)
}

fn unlock(dir: &Path) -> Result<Store> {
    let config = StoreConfig::default();
    if let StoreState::Locked {
        failed_attempts,
        retry_after,
        unsent_ops,
    } = Store::state(dir, &config, &SystemClock)?
    {
        if failed_attempts + 1 >= config.pin.max_failed_attempts {
            eprintln!(
                "Cảnh báo: nhập sai mã PIN lần nữa sẽ xóa toàn bộ dữ liệu trên máy này, kể cả {unsent_ops} thao tác (phiếu biểu quyết, điểm danh, ghi chú) chưa gửi lên máy chủ.\n\
                 Warning: one more wrong PIN erases all data in {}, including {unsent_ops} operations (ballots, attendance, notes) not yet sent to the server.",
                dir.display()
            );
        }
        if !retry_after.is_zero() {
            eprintln!(
                "waiting {} s (earlier wrong PINs) before checking the PIN",
                retry_after.as_secs_f64().ceil()
            );
        }
    }
    let pin = secret("ECABINET_PIN", "Mã PIN / PIN: ")?;
    match Store::open(dir, &pin, &config, &SystemClock) {
        Ok(s) => Ok(s),
        Err(StoreError::NoData) => {
            bail!(
                "no local data in {}: enrol this device first",
                dir.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Unlocks the store for reading meeting content: refused past the offline
/// lease (syncing and `status` stay available, since they are the way out).
fn open_content(dir: &Path) -> Result<Store> {
    let store = unlock(dir)?;
    ecabinet_sync::ensure_open(&store, now_ms())?;
    Ok(store)
}

/// A progress bar on a terminal, a line per document otherwise.
struct TerminalProgress {
    tty: bool,
    last: Mutex<(String, u64)>,
}

impl TerminalProgress {
    fn new() -> Self {
        TerminalProgress {
            tty: std::io::stderr().is_terminal(),
            last: Mutex::new((String::new(), 0)),
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

impl ProgressSink for TerminalProgress {
    fn progress(&self, p: &Progress) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if self.tty {
            let pct = p.overall_done * 100 / p.overall_total.max(1);
            if pct == last.1 && p.overall_done != p.overall_total {
                return;
            }
            last.1 = pct;
            let filled = (pct / 4) as usize;
            eprint!(
                "\r[{}{}] {pct:3}%  {:.1}/{:.1} MB",
                "#".repeat(filled),
                " ".repeat(25 - filled.min(25)),
                p.overall_done as f64 / 1e6,
                p.overall_total as f64 / 1e6
            );
            let _ = std::io::stderr().flush();
        } else if p.document_done == p.document_total {
            let key = format!("{}@{}", p.document_id, p.version);
            if last.0 != key {
                eprintln!(
                    "downloaded document {} v{} ({} bytes)",
                    p.document_id, p.version, p.document_total
                );
                last.0 = key;
            }
        }
    }
}
