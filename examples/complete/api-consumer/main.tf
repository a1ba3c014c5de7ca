# The API consumer's half of the walkthrough (examples/complete/README.md): an organisation that
# was granted a scope registers a client that uses it, with a public key. Its administration
# client needs the admin scopes idporten:dcr.read and idporten:dcr.write.
#
# The provider block is empty: environment, client_id and signing material come from the
# MASKINPORTEN_* environment variables of this organisation's administration client.

terraform {
  required_version = ">= 1.11"
  required_providers {
    maskinporten = {
      source = "digdir/maskinporten"
    }
  }
}

provider "maskinporten" {}

variable "scope" {
  description = "The scope the API provider granted your organisation (its output `scope`)."
  type        = string
}

variable "client_name" {
  description = "Name of the client (integration)."
  type        = string
  default     = "orders-integration"
}

variable "client_public_key_pem" {
  description = "Public key of the integration; its private key stays with the integration."
  type        = string
}

resource "maskinporten_client" "orders" {
  client_name = var.client_name
  description = "Reads orders from the demo API"
  scopes      = [var.scope]
}

resource "maskinporten_client_key" "orders" {
  client_id = maskinporten_client.orders.client_id
  key       = var.client_public_key_pem
}

output "client_id" {
  description = "The integration signs its token grants with this client_id as iss ..."
  value       = maskinporten_client.orders.client_id
}

output "kid" {
  description = "... and this kid in the JWT header."
  value       = maskinporten_client_key.orders.kid
}
