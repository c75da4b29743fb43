variable "token" {
  sensitive = true
}
locals {
  x = "${var.token"
}
