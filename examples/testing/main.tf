# A team's configuration of an API it offers, with `terraform test` files (tests/) that run
# against maskinporten-sim in CI — no Digdir credentials needed. docs/guides/testing-with-the-simulator.md
# shows how a pipeline starts the simulator and runs them.

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
  description = "The scope prefix Digdir assigned to the organisation."
  type        = string
  default     = "demo"
}

variable "consumers" {
  description = "Organisation numbers that may read orders."
  type        = set(string)
  default     = ["889640782"]

  validation {
    condition     = alltrue([for o in var.consumers : provider::maskinporten::orgno_valid(o)])
    error_message = "Every consumer must be a valid Norwegian organisation number."
  }
}

resource "maskinporten_scope" "orders_read" {
  prefix                    = var.prefix
  subscope                  = "orders.read"
  description               = "Read access to the orders API"
  allowed_integration_types = ["maskinporten"]
  at_max_age                = 300
}

resource "maskinporten_scope_access" "reader" {
  for_each       = var.consumers
  scope          = maskinporten_scope.orders_read.name
  consumer_orgno = each.value
}

output "scope" {
  value = maskinporten_scope.orders_read.name
}

output "readers" {
  description = "Who was granted access, by organisation name."
  value       = sort([for g in maskinporten_scope_access.reader : g.consumer_organization_name])
}
