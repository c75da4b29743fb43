variable "token" {
  sensitive = true
}
