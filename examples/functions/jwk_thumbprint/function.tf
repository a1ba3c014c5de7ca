# The RFC 7638 thumbprint of the integration's public key: the identity maskinporten_client_key
# gives it, and part of its default kid.
output "key_thumbprint" {
  value = provider::maskinporten::jwk_thumbprint(file("client.pub.pem"))
}
