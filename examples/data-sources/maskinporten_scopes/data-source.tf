# Altinn's scopes in Digdir's public catalogue.
data "maskinporten_scopes" "altinn" {
  catalogue = true
  prefix    = "altinn"
}

# Your own scopes, deactivated ones included.
data "maskinporten_scopes" "own" {
  include_inactive = true
}

output "altinn_scopes" {
  value = data.maskinporten_scopes.altinn.scopes[*].name
}

output "own_inactive_scopes" {
  value = [for s in data.maskinporten_scopes.own.scopes : s.name if !s.active]
}
