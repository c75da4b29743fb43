variable "token" {
  sensitive = true
}
page "a" {
  page_id      = ["1"]
  access_token = var.token
}
