# Experimental: needs merchant_data_url (or MASKINPORTEN_MERCHANT_DATA_URL) pointing at a server
# that implements docs/merchant-data-api.md. Digdir's public API has no such endpoint.

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

# Who gets e-mail when Maskinporten has a critical incident affecting this client.
resource "maskinporten_contact" "on_call" {
  kind      = "notification"
  client_id = maskinporten_client.orders_reader.client_id
  name      = "Operations on call"
  email     = "ops@example.no"
  phone     = "+4799999999"
}

# Invoice details of the organisation's API-provider integration.
resource "maskinporten_contact" "invoices" {
  kind          = "invoice"
  prefix        = "demo"
  invoice_email = "invoice@example.no"
  reference     = "PO-1234"
}
