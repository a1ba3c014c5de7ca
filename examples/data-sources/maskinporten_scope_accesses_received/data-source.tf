data "maskinporten_scope_accesses_received" "all" {}

# Scopes other organisations have granted yours: what your clients may use.
output "granted_to_us" {
  value = [for a in data.maskinporten_scope_accesses_received.all.accesses : a.scope if a.state == "APPROVED"]
}
