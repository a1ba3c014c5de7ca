# A client is imported by its client_id (also clients made in Samarbeidsportalen).
terraform import maskinporten_client.orders_reader 238259d7-f0ab-4bd5-b253-0f0159375096
