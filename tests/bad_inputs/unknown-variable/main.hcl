page "a" {
  page_id      = "1"
  access_token = var.nope
}
