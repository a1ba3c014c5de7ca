variable "client_public_key_pem" {
  description = "Public key of the integration."
  type        = string
}

variable "client_private_key_pem" {
  description = "Its private key, from a secret store. Ephemeral: it never reaches a plan or state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "maskinporten_client" "orders_reader" {
  client_name = "orders-reader"
  description = "Nightly export of orders"
  scopes      = ["demo:orders.read"]
}

resource "maskinporten_client_key" "current" {
  client_id = maskinporten_client.orders_reader.client_id
  key       = var.client_public_key_pem
}

# A token of the client, for use where ephemeral values are allowed: another provider's
# configuration, a write-only argument, a local value.
ephemeral "maskinporten_access_token" "orders" {
  client_id       = maskinporten_client.orders_reader.client_id
  kid             = maskinporten_client_key.current.kid
  private_key_pem = var.client_private_key_pem
  scopes          = ["demo:orders.read"]
}

locals {
  orders_api_headers = {
    Authorization = "Bearer ${ephemeral.maskinporten_access_token.orders.access_token}"
  }
}
