resource "maskinporten_scope" "orders_write" {
  prefix      = "demo"
  subscope    = "orders.write"
  description = "Write access to the orders API"
}

# The complete list of consumers: grants made anywhere else are revoked on apply.
resource "maskinporten_scope_consumers" "orders_write" {
  scope     = maskinporten_scope.orders_write.name
  consumers = ["889640782", "974760673"]
}
