variable "token" {
  sensitive = true
}

page "a" {
  page_id      = "107100000000001"
  access_token = var.token
}
