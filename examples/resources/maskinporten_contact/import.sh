# A contact is imported by its id.
terraform import maskinporten_contact.on_call 5f0c7a52-9d1e-4b43-8f1a-0a4b9c2d7e11
