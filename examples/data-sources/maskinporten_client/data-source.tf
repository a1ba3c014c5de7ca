# A client made in Samarbeidsportalen, read by its client_id, active or deactivated.
data "maskinporten_client" "legacy" {
  client_id = "238259d7-f0ab-4bd5-b253-0f0159375096"
}

output "legacy_client_scopes" {
  value = data.maskinporten_client.legacy.scopes
}
