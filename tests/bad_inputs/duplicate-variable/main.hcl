variable "token" {
  sensitive = true
}
variable "token" {
  sensitive = true
}
