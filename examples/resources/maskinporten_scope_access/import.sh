# A grant is imported by "<scope>,<consumer_orgno>".
terraform import maskinporten_scope_access.acme demo:orders.read,889640782
