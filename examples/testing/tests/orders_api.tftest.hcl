# Run with `terraform test` against maskinporten-sim: each run block applies (or plans) the
# configuration, and the simulator answers as Digdir does. Terraform destroys what the runs made
# at the end.

run "offers_the_scope_to_its_consumers" {
  assert {
    condition     = maskinporten_scope.orders_read.name == "demo:orders.read"
    error_message = "The scope is named <prefix>:orders.read."
  }
  assert {
    condition     = maskinporten_scope.orders_read.active
    error_message = "The scope is active after apply."
  }
  assert {
    condition     = length(maskinporten_scope_access.reader) == 1
    error_message = "One consumer is granted access."
  }
  assert {
    condition     = alltrue([for g in maskinporten_scope_access.reader : g.consumer_organization_name != ""])
    error_message = "Each grant shows the consumer's organisation name."
  }
}

run "grants_a_second_consumer" {
  variables {
    consumers = ["889640782", "974760673"]
  }
  assert {
    condition     = length(output.readers) == 2
    error_message = "Both consumers are granted access."
  }
}

run "refuses_an_invalid_organisation_number" {
  command = plan
  variables {
    consumers = ["123456789"]
  }
  expect_failures = [
    var.consumers,
  ]
}
