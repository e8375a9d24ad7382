use clap::Parser;
use redeye::cli::Cli;

fn main() {
    // Real bugs get color-eyre's report (and a backtrace with RUST_BACKTRACE=1).
    let _ = color_eyre::install();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    let result = runtime.block_on(redeye::app::run(cli));
    // Do not wait for connection drivers: the work is done.
    runtime.shutdown_background();
    if let Err(failure) = result {
        eprintln!("redeye: {failure}");
        std::process::exit(failure.exit_code());
    }
}
