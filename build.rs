//! Compiles the vendored Terraform plugin protocol (tfplugin6) and go-plugin protos with protox,
//! a pure-Rust protobuf compiler, so no machine needs `protoc`. Only server stubs are generated
//! for the provider; the client stubs exist for the protocol harness in `tests/`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["tfplugin6.proto", "grpc_controller.proto", "grpc_stdio.proto", "grpc_broker.proto"];
    for f in files {
        println!("cargo:rerun-if-changed=proto/{f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .generate_default_stubs(true)
        .compile_fds(fds)?;
    Ok(())
}
