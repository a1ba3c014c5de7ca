variable "public_key_pem" {
  description = "The client's public key (never the private key)."
  type        = string
}

resource "maskinporten_scope" "orders_read" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read access to the orders API"
}

resource "maskinporten_client" "orders_reader" {
  client_name = "orders-reader"
  description = "Nightly export of orders"
  scopes      = [maskinporten_scope.orders_read.name]
}

# The client signs its token grants with the matching private key and this key's kid.
resource "maskinporten_client_key" "current" {
  client_id = maskinporten_client.orders_reader.client_id
  key       = var.public_key_pem
}

output "kid" {
  value = maskinporten_client_key.current.kid
}
