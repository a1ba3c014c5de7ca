data "maskinporten_delegation_sources" "all" {}

# Altinn's issuer in this environment (https://tt02.altinn.no/ in TEST, https://www.altinn.no/
# in PROD), so consumers may delegate their access to a supplier.
resource "maskinporten_scope" "orders_delegated" {
  prefix            = "demo"
  subscope          = "orders.delegated"
  description       = "Read access to the orders API, delegable in Altinn"
  delegation_source = one([for s in data.maskinporten_delegation_sources.all.delegation_sources : s.issuer if strcontains(s.issuer, "altinn")])
}
