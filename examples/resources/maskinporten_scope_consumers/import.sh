# The consumer set of a scope is imported by the scope name.
terraform import maskinporten_scope_consumers.orders_write demo:orders.write
