//! The `devplane` binary: parses the command line and hands over to the library.

use std::{process::ExitCode, sync::Arc};

use clap::Parser;
use devplane::{
    app::Application,
    clock::SystemClock,
    config::{Cli, Command, LogConfig, LogFormat, MigrateAction, MigrateArgs, SchemaArgs},
    db, graphql, telemetry,
};
use migration::{Migrator, MigratorTrait};

/// mimalloc instead of the system allocator: a request allocates and frees many small
/// objects across threads, which glibc's malloc serves markedly slower. Transparent huge
/// pages are off for it (`no_thp`): with them, every partly used 2 MiB region counts whole
/// in the resident size.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(config) => {
            telemetry::init(&config.log);
            match Application::build(&config, Arc::new(SystemClock)).await {
                Ok(app) => {
                    if let Some(login) = app.demo_login() {
                        // Printed once, not logged: the password is nowhere else.
                        println!(
                            "Demo ready at {} — sign in as {} with password {}",
                            app.state().access_url,
                            login.email,
                            login.password
                        );
                    }
                    app.run_until_stopped().await.map_err(anyhow::Error::from)
                }
                Err(err) => Err(err.into()),
            }
        }
        Command::Migrate(args) => migrate(args).await,
        Command::Schema(args) => schema(&args),
        Command::ConnectionLog(args) => {
            devplane::commands::connection_log(&args.client, args.action)
                .await
                .map_err(anyhow::Error::from)
        }
        Command::AuditLog(args) => devplane::commands::audit_log(&args.client, args.action)
            .await
            .map_err(anyhow::Error::from),
        Command::License(args) => devplane::commands::license(&args.client, args.action)
            .await
            .map_err(anyhow::Error::from),
        Command::Prebuilds(args) => devplane::commands::prebuilds(&args.client, args.action)
            .await
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once. sqlx and sea-orm errors repeat their source in
/// their own message and also return it as `source()`, so `{:#}` would say it several times.
fn describe(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if message.contains(&cause) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&cause);
    }
    message
}

async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    telemetry::init(&LogConfig {
        log_format: LogFormat::Text,
        log_level: "warn".into(),
    });
    let url = db::resolve_url(&args.database)?;
    let connection = db::connect(&url, args.database.database_max_connections).await?;
    match args.action {
        MigrateAction::Up => {
            db::migrate(&connection).await?;
            println!("migrations applied");
        }
        MigrateAction::Down => {
            db::roll_back(&connection, args.steps).await?;
            println!("migrations rolled back");
        }
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&connection).await? {
                println!("{}\t{}", migration.name(), migration.status());
            }
        }
    }
    Ok(())
}

fn schema(args: &SchemaArgs) -> anyhow::Result<()> {
    let sdl = graphql::sdl();
    if !args.check {
        print!("{sdl}");
        return Ok(());
    }
    let committed = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    if committed == sdl {
        println!("{} matches the served schema", args.file.display());
        Ok(())
    } else {
        anyhow::bail!(
            "{} differs from the served schema; regenerate it with `cargo run -- schema > {}`",
            args.file.display(),
            args.file.display()
        )
    }
}
