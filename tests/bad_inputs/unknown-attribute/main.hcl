variable "token" {
  sensitive = true
}
page "a" {
  page_id      = "1"
  colour       = "red"
  access_token = var.token
}
