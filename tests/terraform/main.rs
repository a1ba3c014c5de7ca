//! End-to-end tests: the real terraform CLI, our provider binary and the simulator.
//! One test binary, one module per resource; each test reads like its scenario.

mod access_token;
mod admin_scopes;
mod bad_input;
mod clients;
mod complete;
mod contacts;
mod contract;
mod data_sources;
mod examples;
mod faults;
mod functions;
mod generate_config;
mod grants;
mod harness;
mod identity;
mod interrupts;
mod key_life;
mod key_rules;
mod key_writes;
mod p12;
mod reconcile;
mod scale;
mod scope;
mod secrets;
mod signing;
mod transport;
mod troubleshooting;
