data "maskinporten_clients" "all" {
  include_inactive = true
}

# Deactivated clients, by client_id: candidates for a clean-up.
output "inactive_clients" {
  value = { for c in data.maskinporten_clients.all.clients : c.client_id => c.client_name if !c.active }
}
