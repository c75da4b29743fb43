variable "token" {
  sensitive = true
}
locals {
  x = <<EOT
hello
