variable "token" {
  sensitive = true
}
locals {
  x = 1 +* 2
}
