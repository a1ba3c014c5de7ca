data "maskinporten_scope_accesses_granted" "orders_read" {
  scope = "demo:orders.read"
}

# Who may use the scope, by organisation number and name.
output "orders_read_consumers" {
  value = {
    for a in data.maskinporten_scope_accesses_granted.orders_read.accesses :
    a.consumer_orgno => a.consumer_organization_name if a.state == "APPROVED"
  }
}
