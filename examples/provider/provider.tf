# Production: the administration client's enterprise certificate and key come from your secret
# store, e.g. as environment variables MASKINPORTEN_CLIENT_ID, MASKINPORTEN_PRIVATE_KEY_PEM and
# MASKINPORTEN_CERTIFICATE_CHAIN_PEM, so the block itself stays small.
provider "maskinporten" {
  environment = "test" # or "prod"
}
