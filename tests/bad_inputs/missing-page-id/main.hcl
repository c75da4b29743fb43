variable "token" {
  sensitive = true
}
page "a" {
  access_token = var.token
}
