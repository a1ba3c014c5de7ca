# The README walkthrough: two organisations, one an API provider, the other an API consumer.
# The provider's scope is granted to the consumer; the consumer registers a client that uses it,
# with a public key. `scripts/quickstart.sh` applies this against the simulator.

terraform {
  required_version = ">= 1.11"
  required_providers {
    maskinporten = {
      source = "digdir/maskinporten"
    }
  }
}

# The API provider: configured entirely from MASKINPORTEN_* environment variables.
provider "maskinporten" {}

# The API consumer: another organisation with its own administration client.
provider "maskinporten" {
  alias                 = "consumer"
  client_id             = var.consumer_client_id
  private_key_pem       = var.consumer_private_key_pem
  certificate_chain_pem = var.consumer_certificate_chain_pem
}

variable "consumer_orgno" {
  description = "Organisation number of the consumer."
  type        = string
}

variable "consumer_client_id" {
  description = "The consumer's administration client id."
  type        = string
}

variable "consumer_private_key_pem" {
  description = "The consumer's administration key. Ephemeral: never stored in a plan or state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "consumer_certificate_chain_pem" {
  description = "The consumer's enterprise certificate chain."
  type        = string
}

variable "client_public_key_pem" {
  description = "Public key of the consumer's integration (its private key stays with the integration)."
  type        = string
}

# --- API provider side -------------------------------------------------------------------

resource "maskinporten_scope" "orders_read" {
  prefix                    = "demo"
  subscope                  = "orders.read"
  description               = "Read access to the orders API"
  allowed_integration_types = ["maskinporten"]
  at_max_age                = 300
}

resource "maskinporten_scope_access" "consumer" {
  scope          = maskinporten_scope.orders_read.name
  consumer_orgno = var.consumer_orgno
}

# --- API consumer side -------------------------------------------------------------------

resource "maskinporten_client" "orders" {
  provider    = maskinporten.consumer
  client_name = "orders-integration"
  description = "Reads orders from the demo API"
  # Referencing the grant makes Terraform create it before the client.
  scopes = [maskinporten_scope_access.consumer.scope]
}

resource "maskinporten_client_key" "orders" {
  provider  = maskinporten.consumer
  client_id = maskinporten_client.orders.client_id
  key       = var.client_public_key_pem
}

output "consumer_client_id" {
  value = maskinporten_client.orders.client_id
}

output "consumer_kid" {
  value = maskinporten_client_key.orders.kid
}

output "granted_to" {
  value = maskinporten_scope_access.consumer.consumer_organization_name
}
