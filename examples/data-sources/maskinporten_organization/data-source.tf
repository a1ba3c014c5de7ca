data "maskinporten_organization" "acme" {
  orgno = "889640782"
}

output "consumer_name" {
  value = data.maskinporten_organization.acme.name
}
