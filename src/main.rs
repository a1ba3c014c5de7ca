//! terraform-provider-maskinporten: started by Terraform, never by hand.

use terraform_provider_maskinporten::provider::MaskinportenProvider;
use terraform_provider_maskinporten::tfplugin::{logging, serve};

fn main() {
    // Before anything else, so a person running the binary gets go-plugin's message and exit 1.
    if let Err(e) = serve::check_environment() {
        eprintln!("{e}");
        std::process::exit(1);
    }
    logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("failed to start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(serve::serve(MaskinportenProvider::new)) {
        tracing::error!(error = %e, "provider stopped with an error");
        eprintln!("{e}");
        std::process::exit(1);
    }
}
