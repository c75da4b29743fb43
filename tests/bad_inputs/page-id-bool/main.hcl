variable "token" {
  sensitive = true
}
page "a" {
  page_id      = true
  access_token = var.token
}
