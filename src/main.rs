use clap::Parser;
use redeye::cli::Cli;

fn main() {
    // Real bugs get color-eyre's report (and a backtrace with RUST_BACKTRACE=1).
    let _ = color_eyre::install();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        // `redeye check` is run by monitoring agents: bad arguments are
        // UNKNOWN (3) there, as the plugin convention wants, not 2.
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "check") => {
            println!(
                "UNKNOWN - bad arguments: {}",
                e.to_string().lines().next().unwrap_or("")
            );
            std::process::exit(3);
        }
        Err(e) => e.exit(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(redeye::app::run(cli));
    // Do not wait for connection drivers: the work is done.
    runtime.shutdown_background();
    if let Err(failure) = result {
        if !failure.message().is_empty() {
            eprintln!("redeye: {failure}");
        }
        std::process::exit(failure.exit_code());
    }
}
