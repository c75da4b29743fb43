variable "token" {
  sensitive = true
}
page "a" {
  for_each     = ["x", "y"]
  page_id      = each.value
  access_token = var.token
}
