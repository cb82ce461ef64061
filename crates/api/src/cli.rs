//! The `broker` command line: `serve` (default), `migrate`, `seed-demo`, `token`, `openapi`,
//! `taxonomy import-esco`, `taxonomy import-esco-occupations`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::auth::{Claims, Role};
use crate::config::{DEMO_JWT_SECRET, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "broker",
    version,
    about = "Kompetensmäklare: competence needs, course offers and explained matches"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (the default). Migrations run at start-up.
    Serve {
        /// Load demo data into an empty database and print ready-made tokens.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo data set into an empty database and exit.
    SeedDemo,
    /// Mint an HS256 bearer token with BROKER_JWT_SECRET (for admins and scripts).
    Token {
        /// admin, broker, municipal_contact, provider or employer.
        #[arg(long)]
        role: String,
        /// Municipality code in scope (repeatable).
        #[arg(long = "municipality")]
        municipalities: Vec<String>,
        /// Platform id in scope (repeatable).
        #[arg(long = "platform")]
        platforms: Vec<uuid::Uuid>,
        /// Organisation id (providers and employers).
        #[arg(long)]
        organisation: Option<uuid::Uuid>,
        /// Subject (who the token is for).
        #[arg(long, default_value = "cli")]
        sub: String,
        /// Lifetime, e.g. 30m, 12h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
        /// Use the demo secret when BROKER_JWT_SECRET is not set.
        #[arg(long)]
        demo: bool,
    },
    /// Write the OpenAPI document generated from the code.
    Openapi {
        /// Where to write it (`-` for standard output).
        #[arg(long, default_value = "openapi/openapi.json")]
        out: PathBuf,
    },
    /// Taxonomy administration.
    Taxonomy {
        #[command(subcommand)]
        command: TaxonomyCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TaxonomyCommand {
    /// Import an ESCO skills CSV (skills_<lang>.csv); merges by conceptUri across languages.
    ImportEsco {
        file: PathBuf,
        /// sv, nb (or no) or en.
        #[arg(long)]
        lang: String,
        /// Do not mark concepts missing from this file as deprecated.
        #[arg(long)]
        no_deprecate: bool,
    },
    /// Import ESCO occupations and their occupation-skill relations.
    ImportEscoOccupations {
        occupations: PathBuf,
        relations: PathBuf,
        #[arg(long)]
        lang: String,
    },
}

/// Parses `30m`, `12h`, `7d` or plain seconds.
pub fn parse_ttl(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration like 30m, 12h or 7d"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown unit in `{raw}`: use s, m, h or d")),
    };
    if seconds == 0 || seconds > 366 * 86_400 {
        return Err("ttl must be between 1 second and 366 days".to_owned());
    }
    Ok(seconds)
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve { demo: false }))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let mut settings = Settings::from_env().map_err(|e| e.to_string())?;
    match command {
        Command::Serve { demo } => {
            settings.demo = demo;
            crate::telemetry::init(settings.log_format);
            if demo {
                crate::demo::seed_if_empty(&settings)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let app = crate::Application::build(settings.clone())
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(port = app.port(), database = %redact(&settings.database_url), "listening");
            if demo {
                print_demo_tokens(&settings, app.port());
            }
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            broker_store::Store::connect(&settings.database_url)
                .await
                .map_err(|e| e.to_string())?;
            println!("migrations applied to {}", redact(&settings.database_url));
            Ok(())
        }
        Command::SeedDemo => {
            let seeded = crate::demo::seed_if_empty(&settings)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                if seeded {
                    "demo data loaded"
                } else {
                    "database not empty: nothing loaded"
                }
            );
            Ok(())
        }
        Command::Token {
            role,
            municipalities,
            platforms,
            organisation,
            sub,
            ttl,
            demo,
        } => {
            let role = Role::parse(&role)
                .ok_or("--role must be admin, broker, municipal_contact, provider or employer")?;
            let ttl = parse_ttl(&ttl)?;
            let secret = match (&settings.jwt.secret, demo) {
                (Some(s), _) => s.expose_secret().to_owned(),
                (None, true) => DEMO_JWT_SECRET.to_owned(),
                (None, false) => {
                    return Err(
                        "BROKER_JWT_SECRET is not set (or pass --demo for the demo secret)"
                            .to_owned(),
                    );
                }
            };
            for m in &municipalities {
                broker_domain::geo::MunicipalityCode::parse(m)
                    .map_err(|e| format!("--municipality: {e}"))?;
            }
            let now = jsonwebtoken::get_current_timestamp();
            let claims = Claims {
                sub,
                role,
                municipalities,
                platforms,
                organisation,
                exp: now + ttl,
                iat: Some(now),
                iss: settings.jwt.issuer.clone(),
                aud: settings.jwt.audience.clone(),
            };
            let token = crate::auth::mint_hs256(&secret, &claims).map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
        Command::Openapi { out } => {
            let json = crate::openapi::spec_json();
            if out.as_os_str() == "-" {
                print!("{json}");
            } else {
                std::fs::write(&out, json)
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                println!("wrote {}", out.display());
            }
            Ok(())
        }
        Command::Taxonomy { command } => {
            let store = broker_store::Store::connect(&settings.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let report = match command {
                TaxonomyCommand::ImportEsco {
                    file,
                    lang,
                    no_deprecate,
                } => {
                    crate::taxonomy_import::import_skills_file(&store, &file, &lang, !no_deprecate)
                        .await
                }
                TaxonomyCommand::ImportEscoOccupations {
                    occupations,
                    relations,
                    lang,
                } => {
                    crate::taxonomy_import::import_occupations_files(
                        &store,
                        &occupations,
                        &relations,
                        &lang,
                    )
                    .await
                }
            }
            .map_err(|e| e.to_string())?;
            println!("{report}");
            Ok(())
        }
    }
}

/// Database URL without a password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn print_demo_tokens(settings: &Settings, port: u16) {
    let tokens = crate::demo::demo_tokens(settings);
    println!(
        "\nKompetensmäklare demo on http://127.0.0.1:{port}  (docs: /docs, spec: /openapi.json)"
    );
    println!("Ready-made bearer tokens (valid 12 h):");
    for (label, token) in tokens {
        println!("  {label}\n    {token}");
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_accept_units() {
        assert_eq!(parse_ttl("30m"), Ok(1800));
        assert_eq!(parse_ttl("2h"), Ok(7200));
        assert_eq!(parse_ttl("90"), Ok(90));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("0").is_err());
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://broker:secret@db:5432/broker"),
            "postgres://broker:***@db:5432/broker"
        );
        assert_eq!(
            redact("sqlite://kompetens.db?mode=rwc"),
            "sqlite://kompetens.db?mode=rwc"
        );
    }
}
