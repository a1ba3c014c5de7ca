resource "maskinporten_scope" "orders_read" {
  prefix      = "demo"
  subscope    = "orders.read"
  description = "Read access to the orders API"
}

resource "maskinporten_client" "orders_reader" {
  client_name           = "orders-reader"
  description           = "Nightly export of orders to the data warehouse"
  scopes                = [maskinporten_scope.orders_read.name]
  access_token_lifetime = 300
}
