data "maskinporten_prefixes" "mine" {}

# Scopes can be created under these prefixes only.
output "prefixes" {
  value = data.maskinporten_prefixes.mine.prefixes[*].prefix
}
