variable "token" {
  sensitive = true
}
page "a" {
  page_id      = "100000000000001"
  access_token = var.token
}
page "a" {
  page_id      = "100000000000001"
  access_token = var.token
}
