# The API provider's half of the walkthrough (examples/complete/README.md): an organisation that
# offers a scope and grants another organisation access to it. Its administration client needs
# the admin scope idporten:scopes.write (Digdir usually grants scopes.read as well).
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

variable "prefix" {
  description = "A scope prefix Digdir assigned to your organisation."
  type        = string
  default     = "demo"
}

variable "subscope" {
  description = "The part of the scope name after the prefix."
  type        = string
  default     = "orders.read"
}

variable "consumer_orgno" {
  description = "Organisation number of the consumer to grant access to."
  type        = string
}

resource "maskinporten_scope" "orders_read" {
  prefix                    = var.prefix
  subscope                  = var.subscope
  description               = "Read access to the orders API"
  allowed_integration_types = ["maskinporten"]
  at_max_age                = 300
}

resource "maskinporten_scope_access" "consumer" {
  scope          = maskinporten_scope.orders_read.name
  consumer_orgno = var.consumer_orgno
}

output "scope" {
  description = "Give this to the consumer: the scope its client may now use."
  value       = maskinporten_scope.orders_read.name
}

output "granted_to" {
  value = maskinporten_scope_access.consumer.consumer_organization_name
}
