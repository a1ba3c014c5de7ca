resource "maskinporten_scope" "orders_read" {
  prefix                    = "demo"
  subscope                  = "orders.read"
  description               = "Read access to the orders API"
  long_description          = "Gives read-only access to orders and their lines."
  allowed_integration_types = ["maskinporten"]
  visibility                = "PRIVATE"
  at_max_age                = 300
}
