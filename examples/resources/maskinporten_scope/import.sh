# A scope is imported by its full name, <prefix>:<subscope>.
terraform import maskinporten_scope.orders_read demo:orders.read
