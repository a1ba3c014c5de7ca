# Every key registered on a client, also keys Terraform does not manage: find the kid to import
# ("<client_id>,<kid>"), and alert before a key expires.
data "maskinporten_client_keys" "orders" {
  client_id = "238259d7-f0ab-4bd5-b253-0f0159375096"
}

check "keys_not_expiring" {
  assert {
    condition     = alltrue([for k in data.maskinporten_client_keys.orders.keys : timecmp(k.expires_at, timeadd(plantimestamp(), "720h")) > 0])
    error_message = "A key of the orders client expires within 30 days: rotate it."
  }
}

output "kids" {
  value = data.maskinporten_client_keys.orders.keys[*].kid
}
