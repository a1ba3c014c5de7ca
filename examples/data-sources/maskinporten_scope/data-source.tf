data "maskinporten_scope" "orders_read" {
  name = "demo:orders.read"
}

output "orders_read_active" {
  value = data.maskinporten_scope.orders_read.active
}
