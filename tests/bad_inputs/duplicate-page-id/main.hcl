variable "token" {
  sensitive = true
}
page "a" {
  page_id      = "100000000000001"
  access_token = var.token
}
page "b" {
  page_id      = "100000000000001"
  access_token = var.token
}
