resource "maskinporten_scope" "orders_read" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read access to the orders API"
}

# Give one consumer organisation access. The plan shows the consumer's name.
resource "maskinporten_scope_access" "acme" {
  scope          = maskinporten_scope.orders_read.name
  consumer_orgno = "889640782"
}
