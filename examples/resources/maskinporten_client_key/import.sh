# A key is imported by "<client_id>,<kid>"; the configuration must give the same public key.
terraform import maskinporten_client_key.current 238259d7-f0ab-4bd5-b253-0f0159375096,my-kid-2026
