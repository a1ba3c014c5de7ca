# The README walkthrough: an API provider's scope, managed end to end against the simulator
# (`scripts/quickstart.sh`) or Digdir's TEST environment.

terraform {
  required_providers {
    maskinporten = {
      source = "digdir/maskinporten"
    }
  }
}

# Configured entirely from MASKINPORTEN_* environment variables (the simulator writes them).
provider "maskinporten" {}

resource "maskinporten_scope" "orders_read" {
  prefix                    = "demo"
  subscope                  = "orders.read"
  description               = "Read access to the orders API"
  allowed_integration_types = ["maskinporten"]
  at_max_age                = 300
}

resource "maskinporten_scope" "orders_write" {
  prefix                    = "demo"
  subscope                  = "orders/v1/write"
  description               = "Write access to the orders API"
  allowed_integration_types = ["maskinporten"]
  visibility                = "PRIVATE"
}

data "maskinporten_scope" "orders_read" {
  name = maskinporten_scope.orders_read.name
}

output "scopes" {
  value = [maskinporten_scope.orders_read.name, maskinporten_scope.orders_write.name]
}
