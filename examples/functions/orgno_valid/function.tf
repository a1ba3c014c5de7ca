variable "consumer_orgno" {
  description = "Organisation number of the consumer to grant access."
  type        = string

  validation {
    condition     = provider::maskinporten::orgno_valid(var.consumer_orgno)
    error_message = "Not a valid organisation number."
  }
}

# The same check in an expression: the valid organisation numbers of a list.
output "valid_orgnos" {
  value = [for o in ["889640782", "889640783"] : o if provider::maskinporten::orgno_valid(o)]
}
