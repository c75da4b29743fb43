variable "token" {
  sensitive = true
}
page "a" {
  page_id      = each.key
  access_token = var.token
}
